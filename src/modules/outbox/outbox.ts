/**
 * The transactional outbox's one way in: a service writes its events inside its own transaction,
 * next to its audit row, so an event commits with its change or not at all. A leaf: every module
 * that changes something may write here; the events module relays what is written.
 */
import type { Executor } from "../../db/client";
import { type EventType, eventVersions } from "./event-types";
import { outboxDedupeKeys, outboxEvents } from "./tables";

export interface NewEvent {
  type: EventType;
  participantId?: number | null;
  sponsorId?: number | null;
  data: Record<string, unknown>;
  dedupeKey?: string;
  /** The change's instant from the request's clock: events are never stamped by the database. */
  occurredAt: Date;
}

/** The outbox row of an event, as every writer stores it. */
export function outboxRow(event: NewEvent): typeof outboxEvents.$inferInsert {
  return {
    type: event.type,
    version: eventVersions[event.type],
    participantId: event.participantId ?? null,
    sponsorId: event.sponsorId ?? null,
    data: event.data,
    dedupeKey: event.dedupeKey ?? null,
    occurredAt: event.occurredAt.toISOString(),
  };
}

/**
 * One statement for all of a change's events (each round trip counts inside a settling
 * transaction), and one before it when some carry a dedupe key: an event with a key is written
 * only if this call took its key (`outboxDedupeKeys`), once per key.
 */
export async function insertEvents(tx: Executor, events: readonly NewEvent[]): Promise<void> {
  const rows = events.map(outboxRow);
  const keyed = rows.filter((row) => row.dedupeKey);
  let taken = new Set<string>();
  if (keyed.length > 0) {
    const registered = await tx
      .insert(outboxDedupeKeys)
      .values(keyed.map((row) => ({ dedupeKey: row.dedupeKey as string, occurredAt: row.occurredAt })))
      .onConflictDoNothing()
      .returning({ dedupeKey: outboxDedupeKeys.dedupeKey });
    taken = new Set(registered.map((row) => row.dedupeKey));
  }
  const fresh = rows.filter((row) => !row.dedupeKey || taken.delete(row.dedupeKey));
  if (fresh.length > 0) await tx.insert(outboxEvents).values(fresh);
}

export function insertEvent(tx: Executor, event: NewEvent): Promise<void> {
  return insertEvents(tx, [event]);
}
