import { bigint, jsonb, pgTable, timestamp, unique, varchar } from "drizzle-orm/pg-core";
import type { UserError } from "../../shared/errors";
import { sponsorships } from "../sponsors/tables";

/**
 * One call of enrollSponsoredParticipants (or one CSV upload), kept with its result: a retry with
 * the same idempotency key answers the same report and changes nothing.
 */
export const enrollmentBatches = pgTable(
  "enrollment_batches",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sponsorshipId: bigint("sponsorship_id", { mode: "number" })
      .notNull()
      .references(() => sponsorships.id),
    /** Whose key it is (the caller's subject): the same key from two callers is two enrollments. */
    idempotencyScope: varchar("idempotency_scope", { length: 160 }).notNull(),
    idempotencyKey: varchar("idempotency_key", { length: 128 }).notNull(),
    requestFingerprint: varchar("request_fingerprint", { length: 64 }).notNull(),
    result: jsonb("result").$type<EnrollmentReport>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [unique("enrollment_batches_idempotency_key").on(t.idempotencyScope, t.idempotencyKey)],
);

export type EnrollmentRowStatus = "CREATED" | "ATTACHED" | "ALREADY_ENROLLED" | "REJECTED";

/** What became of each row, and the totals: every row is accounted for, none silently dropped. */
export interface EnrollmentReport {
  rows: { index: number; status: EnrollmentRowStatus; participantId: number | null }[];
  userErrors: UserError[];
  created: number;
  attached: number;
  alreadyEnrolled: number;
  rejected: number;
}
