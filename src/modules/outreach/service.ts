import type { ServiceContext } from "../../context";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";

import { audited, rejection } from "../audit/service";
import { findVisibleParticipant, type ParticipantRow } from "../participants/service";
import { insertOutreachContact, type OutreachContactRow } from "./store";
import { type RecordOutreachInput, recordOutreachInput } from "./validation";

export interface RecordOutreachResult {
  outreach: OutreachContactRow | null;
  participant: ParticipantRow | null;
  userErrors: UserError[];
}

/**
 * Records that someone reached out to a worker they may see (a visit, a call, an SMS), with the
 * outcome; the worker's paid-through month at that moment is kept for measuring recovery.
 */
export async function recordOutreach(ctx: ServiceContext, raw: RecordOutreachInput): Promise<RecordOutreachResult> {
  const viewer = ctx.viewer;
  if (viewer.kind !== "user") throw forbidden(msg("FORBIDDEN.outreachCaller"));
  return audited<RecordOutreachResult>(ctx, "recordOutreach", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection({ outreach: null, participant: null, userErrors }, targetIds);
    const parsed = recordOutreachInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    const participant = await findVisibleParticipant(tx, viewer, input.participantId);
    if (!participant)
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "participantId"])]);
    const target = `participant:${participant.id}`;
    if (!may(viewer, "outreach:record", participant)) throw forbidden(msg("FORBIDDEN.outreachWorker"), target);
    const outreach = await insertOutreachContact(tx, {
      participantId: participant.id,
      channel: input.channel,
      outcome: input.outcome,
      note: input.note,
      paidThroughAtContact: participant.paidThrough,
      recordedBySubject: viewer.subject,
      recordedByRole: viewer.role,
      recordedAt: ctx.clock.now().toISOString(),
    });
    return {
      result: { outreach, participant, userErrors: [] },
      targetIds: [target, `outreach:${outreach.id}`],
      outcome: "SUCCEEDED",
      details: { channel: input.channel, outcome: input.outcome },
    };
  });
}
