import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, smallint, timestamp, varchar } from "drizzle-orm/pg-core";

/**
 * The transactional outbox: one row per domain event, inserted in the same transaction as the
 * change it describes, so an event exists exactly when its change committed. The relay fans rows
 * out to subscribed endpoints and marks them relayed; a row stays unrelayed until that commits.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    type: varchar("type", { length: 60 }).notNull(),
    version: smallint("version").notNull(),
    /** The worker the event is about (ordering key and visibility); null for sponsorship events. */
    participantId: bigint("participant_id", { mode: "number" }),
    /** The sponsor a sponsorship event is about (visibility of events without a worker). */
    sponsorId: bigint("sponsor_id", { mode: "number" }),
    /** The payload's `data`, unmasked; masked per subscriber when delivered. */
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    /** Events derived from time (status at a month boundary, payment due) are emitted once per key. */
    dedupeKey: varchar("dedupe_key", { length: 200 }).unique("outbox_events_dedupe_key"),
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "string" }).notNull(),
    relayedAt: timestamp("relayed_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    index("outbox_events_unrelayed_idx").on(t.id).where(sql`${t.relayedAt} is null`),
    index("outbox_events_occurred_idx").on(t.occurredAt),
  ],
);
