import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  timestamp,
  unique,
  varchar,
} from "drizzle-orm/pg-core";
import { type ContributionLineRow, programEnum } from "../contributions/tables";
import { participants } from "../participants/tables";
import { sponsors, sponsorships } from "../sponsors/tables";

export const paymentStatuses = ["PENDING", "SETTLED", "FAILED", "REFUNDED"] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];
export const paymentStatusEnum = pgEnum("payment_status", paymentStatuses);

export const payerKinds = ["SELF", "SPONSOR"] as const;
export const payerKindEnum = pgEnum("payer_kind", payerKinds);

/** A sponsor's batch payment (Sertakan): many payments, one idempotency key, all or nothing. */
export const paymentBatches = pgTable(
  "payment_batches",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sponsorshipId: bigint("sponsorship_id", { mode: "number" })
      .notNull()
      .references(() => sponsorships.id),
    months: smallint("months").notNull(),
    total: bigint("total", { mode: "bigint" }).notNull(),
    /** Whose key it is (the caller's subject): the same key from two callers is two batches. */
    idempotencyScope: varchar("idempotency_scope", { length: 160 }).notNull(),
    idempotencyKey: varchar("idempotency_key", { length: 128 }).notNull(),
    requestFingerprint: varchar("request_fingerprint", { length: 64 }),
    /** How many payments the batch made (one per enrolled worker). */
    paymentCount: integer("payment_count").notNull().default(0),
    /** PENDING until the sponsor's money arrives (channel notification or ADMIN); only then are months covered. */
    status: paymentStatusEnum("status").notNull().default("PENDING"),
    /** Where the sponsor's transfer is expected: notifications for the batch must come from this channel. */
    channel: varchar("channel", { length: 40 }).notNull().default("SPONSOR_BUDGET"),
    externalReference: varchar("external_reference", { length: 128 }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    settledAt: timestamp("settled_at", { withTimezone: true, mode: "string" }),
    failedAt: timestamp("failed_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    unique("payment_batches_idempotency_key").on(t.idempotencyScope, t.idempotencyKey),
    index("payment_batches_sponsorship_idx").on(t.sponsorshipId),
    check("payment_batches_total", sql`${t.total} >= 0`),
    check("payment_batches_months", sql`${t.months} in (1, 3, 6, 12)`),
  ],
);

/**
 * How long a payment's idempotency key is honoured: a retry within it answers with the key's
 * payment; after it, the key is free again (Stripe keeps keys 24 hours). Channels retry within
 * hours and reconcile within a month; the register stays a bounded table while payments grow.
 */
export const paymentKeyDays = 45;

/**
 * The register of payment idempotency keys, one row per key still honoured. `payments` is
 * partitioned by id range (docs/operators.md, "Partitioned tables"), and a unique constraint on a
 * partitioned table must hold its partition key, so the key's uniqueness lives here: a new payment
 * takes its key here first, in the statement that writes it. Keys older than `paymentKeyDays` are
 * pruned by the daily job.
 */
export const paymentKeys = pgTable(
  "payment_keys",
  {
    idempotencyScope: varchar("idempotency_scope", { length: 160 }).notNull(),
    idempotencyKey: varchar("idempotency_key", { length: 128 }).notNull(),
    paymentId: bigint("payment_id", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.idempotencyScope, t.idempotencyKey] }),
    index("payment_keys_created_idx").on(t.createdAt),
  ],
);

/**
 * Payments, partitioned by ranges of `id` (`payments_p<k>` holds ids from k × 50 M): every
 * reference to a payment (covered and program months, channel events, settlement) is by id, so
 * each lookup prunes to one partition and foreign keys to `payments(id)` stay; ids rise with time,
 * so a partition is also a period. The daily job keeps two empty partitions ahead.
 */
export const payments = pgTable(
  "payments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    months: smallint("months").notNull(),
    /** First and last month covered (first day of each month). */
    coverageFrom: date("coverage_from", { mode: "string" }).notNull(),
    coverageThrough: date("coverage_through", { mode: "string" }).notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    lines: jsonb("lines").$type<ContributionLineRow[]>().notNull(),
    payer: payerKindEnum("payer").notNull(),
    payerSponsorId: bigint("payer_sponsor_id", { mode: "number" }).references(() => sponsors.id),
    channel: varchar("channel", { length: 40 }).notNull(),
    externalReference: varchar("external_reference", { length: 128 }),
    status: paymentStatusEnum("status").notNull().default("PENDING"),
    /** Whose key it is (the caller's subject): keys are unique per caller, as Stripe scopes them per account. */
    idempotencyScope: varchar("idempotency_scope", { length: 160 }).notNull(),
    idempotencyKey: varchar("idempotency_key", { length: 128 }).notNull(),
    /** SHA-256 of the request (caller and input): a retry with the same key must match it. */
    requestFingerprint: varchar("request_fingerprint", { length: 64 }),
    batchId: bigint("batch_id", { mode: "number" }).references(() => paymentBatches.id),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    settledAt: timestamp("settled_at", { withTimezone: true, mode: "string" }),
    failedAt: timestamp("failed_at", { withTimezone: true, mode: "string" }),
    refundedAt: timestamp("refunded_at", { withTimezone: true, mode: "string" }),
    /** What a refund returned: the unused months' share of the amount. */
    refundedAmount: bigint("refunded_amount", { mode: "bigint" }),
  },
  (t) => [
    // "Last 3 payments" of a participant is an index range scan.
    index("payments_participant_created_idx").on(t.participantId, t.createdAt.desc(), t.id.desc()),
    index("payments_status_created_idx").on(t.status, t.createdAt),
    index("payments_created_idx").on(t.createdAt, t.id),
    index("payments_payer_sponsor_idx").on(t.payerSponsorId),
    index("payments_batch_idx").on(t.batchId),
    check("payments_amount", sql`${t.amount} >= 0`),
    check("payments_months", sql`${t.months} in (1, 3, 6, 12)`),
    check("payments_coverage", sql`${t.coverageThrough} >= ${t.coverageFrom}`),
    check("payments_payer", sql`(${t.payer} = 'SPONSOR') = (${t.payerSponsorId} is not null)`),
    check(
      "payments_status_times",
      sql`(${t.status} in ('SETTLED', 'REFUNDED')) = (${t.settledAt} is not null) and (${t.status} = 'REFUNDED') = (${t.refundedAt} is not null)`,
    ),
    check(
      "payments_refund",
      sql`${t.refundedAmount} is null or (${t.refundedAmount} >= 0 and ${t.refundedAmount} <= ${t.amount})`,
    ),
  ],
);

/**
 * The months a participant's settled payments cover, one row per month: the primary key makes
 * "one settled payment per participant-month" a constraint, and `paid_through` is their maximum.
 */
export const coveredMonths = pgTable(
  "covered_months",
  {
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    month: date("month", { mode: "string" }).notNull(),
    paymentId: bigint("payment_id", { mode: "number" })
      .notNull()
      .references(() => payments.id),
  },
  (t) => [
    primaryKey({ columns: [t.participantId, t.month] }),
    index("covered_months_payment_idx").on(t.paymentId),
    check("covered_months_first_day", sql`extract(day from ${t.month}) = 1`),
  ],
);

/**
 * Which program each covered month is paid for, and by which payment: one row per participant,
 * program and month, so no program-month is ever paid twice. A payment holding JKK and JKM (the
 * programs that make a month count as covered) writes its rows through a trigger on
 * `covered_months`; a part (a payment for the other programs only, such as a worker's JHT on top
 * of a sponsor's JKK + JKM) writes its own, always on months whose JKK and JKM are paid.
 */
export const programMonths = pgTable(
  "program_months",
  {
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    program: programEnum("program").notNull(),
    month: date("month", { mode: "string" }).notNull(),
    paymentId: bigint("payment_id", { mode: "number" })
      .notNull()
      .references(() => payments.id),
  },
  (t) => [
    primaryKey({ columns: [t.participantId, t.program, t.month] }),
    index("program_months_payment_idx").on(t.paymentId, t.month),
    check("program_months_first_day", sql`extract(day from ${t.month}) = 1`),
  ],
);

/**
 * Every notification a payment channel sent, unique per channel reference: a replay finds its
 * earlier row and changes nothing. Refused notifications (bad amount, unknown payment) are kept too.
 */
export const paymentEvents = pgTable(
  "payment_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    channel: varchar("channel", { length: 40 }).notNull(),
    reference: varchar("reference", { length: 128 }).notNull(),
    paymentId: bigint("payment_id", { mode: "number" }).references(() => payments.id),
    status: paymentStatusEnum("status").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: varchar("currency", { length: 3 }).notNull(),
    outcome: varchar("outcome", { length: 32 }).notNull(),
    /** SHA-256 of what the notification says (payment, status, amount, currency): a reused reference with another body is refused. */
    bodyHash: varchar("body_hash", { length: 64 }),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    unique("payment_events_channel_reference").on(t.channel, t.reference),
    index("payment_events_payment_idx").on(t.paymentId),
  ],
);
