import { createContextCache } from "@pothos/core";
import type { Context } from "../../context";
import { canSeeParticipant } from "./conditions";
import { visibilityColumnsOf } from "./store";

type Visibility = Parameters<typeof canSeeParticipant>[1];

/**
 * Per request: the participants this caller has been shown, and a batch of lookups for the
 * others. Records reached through a participant (its payments) are authorised by the participant
 * they belong to without reading it again; records reached another way (a payment by id) load
 * their participants' visibility columns, one statement per batch of the same tick.
 */
const requestVisibility = createContextCache((_ctx: Context) => ({
  shown: new Set<number>(),
  answers: new Map<number, Promise<boolean>>(),
  batch: null as { ids: number[]; visible: Promise<Map<number, boolean>> } | null,
}));

/** The participant type's own check: decides, and remembers a participant the caller may see. */
export function showParticipant(ctx: Context, participant: Visibility): boolean {
  const visible = canSeeParticipant(ctx.viewer, participant);
  if (visible) requestVisibility(ctx).shown.add(participant.id);
  return visible;
}

/** Whether the caller may see the participant with this id (shown already, or looked up in a batch). */
export function participantVisible(ctx: Context, participantId: number): boolean | Promise<boolean> {
  const state = requestVisibility(ctx);
  if (state.shown.has(participantId)) return true;
  let answer = state.answers.get(participantId);
  if (!answer) {
    if (!state.batch) {
      const ids: number[] = [];
      // Resolved after the current tick, when every sibling in the list has asked.
      const visible = Promise.resolve().then(async () => {
        state.batch = null;
        const rows = await visibilityColumnsOf(ctx.db, ids);
        return new Map(rows.map((row) => [row.id, canSeeParticipant(ctx.viewer, row)]));
      });
      state.batch = { ids, visible };
    }
    state.batch.ids.push(participantId);
    answer = state.batch.visible.then((visible) => visible.get(participantId) ?? false);
    state.answers.set(participantId, answer);
  }
  return answer;
}
