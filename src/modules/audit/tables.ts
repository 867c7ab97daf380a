import { bigint, index, jsonb, pgTable, text, timestamp, varchar } from "drizzle-orm/pg-core";

/** Who did what, when, with which outcome: written in the same transaction as the change. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "string" }).notNull(),
    requestId: varchar("request_id", { length: 64 }),
    actorId: varchar("actor_id", { length: 128 }),
    actorRole: varchar("actor_role", { length: 32 }),
    operation: varchar("operation", { length: 64 }).notNull(),
    targetIds: text("target_ids").array().notNull(),
    outcome: varchar("outcome", { length: 32 }).notNull(),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_log_occurred_idx").on(t.occurredAt), index("audit_log_targets_idx").using("gin", t.targetIds)],
);
