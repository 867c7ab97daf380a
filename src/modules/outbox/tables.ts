import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, smallint, timestamp, varchar } from "drizzle-orm/pg-core";

/**
 * The transactional outbox: one row per domain event, inserted in the same transaction as the
 * change it describes, so an event exists exactly when its change committed. The relay fans rows
 * out to subscribed endpoints and marks them relayed; a row stays unrelayed until that commits.
 */
/**
 * How long events are kept (with their finished deliveries and attempts): the replay window and a
 * few days more. A dedupe key is held as long, as it was while it lived on its event.
 */
export const EVENT_RETENTION_DAYS = 35;

/**
 * The keys of events emitted once per key, each held `EVENT_RETENTION_DAYS`: an event with a key is
 * written only by the statement that takes its key here.
 */
export const outboxDedupeKeys = pgTable(
  "outbox_dedupe_keys",
  {
    dedupeKey: varchar("dedupe_key", { length: 200 }).primaryKey(),
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [index("outbox_dedupe_keys_occurred_idx").on(t.occurredAt)],
);

/**
 * Partitioned by ranges of `id`, 50 M each (`outbox_events_p<k>`; `outbox_events_p0` is the table
 * as it was): the relay and deliveries name events by id, and a partition whose events are all
 * past the retention, relayed and delivered is dropped whole by the daily job instead of deleted
 * row by row (docs/operators.md, "Partitioned tables").
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
    /**
     * Events derived from time (status at a month boundary, payment due) are emitted once per key:
     * the key is taken in `outboxDedupeKeys` first (a unique key on a partitioned table would have
     * to hold the partition key).
     */
    dedupeKey: varchar("dedupe_key", { length: 200 }),
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "string" }).notNull(),
    relayedAt: timestamp("relayed_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    index("outbox_events_unrelayed_idx").on(t.id).where(sql`${t.relayedAt} is null`),
    index("outbox_events_occurred_idx").on(t.occurredAt),
  ],
);
