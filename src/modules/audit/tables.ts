import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp, varchar } from "drizzle-orm/pg-core";

/** How many months of the audit log stay in it; older months are archived (`audit_log_partitions`). */
export const auditKeptMonths = 24;

/**
 * Who did what, when, with which outcome: written in the same transaction as the change.
 * Partitioned by month of `occurred_at` (`audit_log_yYYYYmMM`; a default partition catches a row
 * for a month not made yet), so a period's rows are one partition and a month past
 * `auditKeptMonths` leaves whole (docs/operators.md, "Partitioned tables").
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).generatedAlwaysAsIdentity(),
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "string" }).notNull(),
    requestId: varchar("request_id", { length: 64 }),
    actorId: varchar("actor_id", { length: 128 }),
    actorRole: varchar("actor_role", { length: 32 }),
    operation: varchar("operation", { length: 64 }).notNull(),
    targetIds: text("target_ids").array().notNull(),
    outcome: varchar("outcome", { length: 32 }).notNull(),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [
    // A partitioned table's key holds its partition key.
    primaryKey({ name: "audit_log_pkey", columns: [t.id, t.occurredAt] }),
    index("audit_log_occurred_idx").on(t.occurredAt),
    index("audit_log_targets_idx").using("gin", t.targetIds),
  ],
);
