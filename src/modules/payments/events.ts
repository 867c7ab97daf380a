/**
 * Payments' partner events, written into the outbox inside the paying or settling transaction
 * (next to the audit row): an event commits with its change or not at all.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client";
import { globalIdOrNull } from "../../shared/ids";
import { budgetLowThresholdPercent, eventVersions } from "../outbox/event-types";
import { insertEvent, insertEvents, type NewEvent } from "../outbox/outbox";
import { participantSnapshot, snapshotSql, statusChange } from "../participants/events";
import { membershipStatus } from "../participants/rules";
import type { participants } from "../participants/tables";
import type { sponsorships } from "../sponsors/tables";
import type { payments } from "./tables";

type ParticipantRow = typeof participants.$inferSelect;
type PaymentRow = typeof payments.$inferSelect;
type SponsorshipRow = typeof sponsorships.$inferSelect;

/** What a payment event shows of the payment; `id` is null while the inserting statement has yet to fill it. */
type PaymentFacts = Pick<
  PaymentRow,
  | "participantId"
  | "status"
  | "amount"
  | "refundedAmount"
  | "months"
  | "coverageFrom"
  | "coverageThrough"
  | "channel"
  | "payer"
  | "payerSponsorId"
> & { id: number | null };

function paymentSnapshot(row: PaymentFacts) {
  return {
    id: globalIdOrNull("Payment", row.id),
    participantId: globalIdOrNull("Participant", row.participantId),
    status: row.status,
    amount: row.amount.toString(),
    refundedAmount: row.refundedAmount?.toString() ?? null,
    months: row.months,
    coverageFrom: row.coverageFrom.slice(0, 7),
    coverageThrough: row.coverageThrough.slice(0, 7),
    channel: row.channel,
    payer: row.payer,
    payerSponsorId: globalIdOrNull("Sponsor", row.payerSponsorId),
  };
}

/**
 * A payment's outcome (settled, refunded) and the status change it caused, written together: one
 * statement, so the settling transaction pays a single extra round trip for its events.
 */
export function recordPaymentOutcome(
  tx: Executor,
  type: "payment.settled" | "payment.refunded",
  payment: PaymentRow,
  before: ParticipantRow,
  after: ParticipantRow,
  now: Date,
): Promise<void> {
  const change = statusChange(before, after, now, type);
  return insertEvents(tx, [paymentEvent(type, payment, after, now), ...(change ? [change] : [])]);
}

function paymentEvent(
  type: "payment.created" | "payment.settled" | "payment.failed" | "payment.refunded",
  payment: PaymentFacts,
  participant: ParticipantRow,
  now: Date,
): NewEvent {
  return {
    type,
    participantId: payment.participantId,
    sponsorId: participant.sponsorId,
    data: { payment: paymentSnapshot(payment), participant: participantSnapshot(participant, now) },
    occurredAt: now,
  };
}

/**
 * The `payment.created` event of a payment about to be inserted, for the statement that inserts
 * both (payments store, insertPaymentRecorded), which fills in the payment's id.
 */
export function paymentCreatedEvent(
  row: typeof payments.$inferInsert & Pick<PaymentRow, "payer" | "channel">,
  participant: ParticipantRow,
  now: Date,
): NewEvent {
  return paymentEvent(
    "payment.created",
    { ...row, id: null, status: "PENDING", refundedAmount: null, payerSponsorId: row.payerSponsorId ?? null },
    participant,
    now,
  );
}

export function recordPaymentEvent(
  tx: Executor,
  type: "payment.created" | "payment.settled" | "payment.failed" | "payment.refunded",
  payment: PaymentRow,
  participant: ParticipantRow,
  now: Date,
): Promise<void> {
  return insertEvent(tx, paymentEvent(type, payment, participant, now));
}

/** The payment events of a sponsor's batch, one statement for its thousands of payments. */
export async function recordBatchPaymentEvents(
  tx: Executor,
  batchId: number,
  types: readonly ("payment.created" | "payment.settled" | "payment.failed")[],
  now: Date,
): Promise<void> {
  // Created: every payment of the batch; settled or failed: those that ended so.
  const statusOf = { "payment.created": null, "payment.settled": "SETTLED", "payment.failed": "FAILED" } as const;
  for (const type of types) {
    const status = statusOf[type];
    await tx.execute(sql`
      insert into outbox_events (type, version, participant_id, sponsor_id, data, occurred_at)
      select ${type}, ${eventVersions[type]}, p.participant_id, p.payer_sponsor_id,
        jsonb_build_object('payment', jsonb_build_object(
          'id', encode(convert_to('Payment:' || p.id, 'UTF8'), 'base64'),
          'participantId', encode(convert_to('Participant:' || p.participant_id, 'UTF8'), 'base64'),
          'status', p.status, 'amount', p.amount::text, 'refundedAmount', null, 'months', p.months,
          'coverageFrom', to_char(p.coverage_from, 'YYYY-MM'), 'coverageThrough', to_char(p.coverage_through, 'YYYY-MM'),
          'channel', p.channel, 'payer', p.payer,
          'payerSponsorId', encode(convert_to('Sponsor:' || p.payer_sponsor_id, 'UTF8'), 'base64'),
          'batchId', encode(convert_to('PaymentBatch:' || p.batch_id, 'UTF8'), 'base64'))),
        ${now.toISOString()}::timestamptz
      from payments p where p.batch_id = ${batchId} ${status ? sql`and p.status = ${status}` : sql``} order by p.id`);
  }
}

/** `sponsorship.budget_low` once per sponsorship, when spending crosses the threshold. */
export async function recordBudgetLowIfCrossed(
  tx: Executor,
  sponsorship: SponsorshipRow,
  spentBefore: bigint,
  spentAfter: bigint,
  now: Date,
): Promise<void> {
  const limit = (sponsorship.budget * BigInt(100 - budgetLowThresholdPercent)) / 100n;
  if (spentBefore >= limit || spentAfter < limit) return;
  await insertEvent(tx, {
    type: "sponsorship.budget_low",
    sponsorId: sponsorship.sponsorId,
    dedupeKey: `sponsorship.budget_low:${sponsorship.id}:${budgetLowThresholdPercent}`,
    data: {
      sponsorship: {
        id: globalIdOrNull("Sponsorship", sponsorship.id),
        sponsorId: globalIdOrNull("Sponsor", sponsorship.sponsorId),
      },
      budget: sponsorship.budget.toString(),
      spent: spentAfter.toString(),
      remaining: (sponsorship.budget - spentAfter).toString(),
      thresholdPercent: budgetLowThresholdPercent,
    },
    occurredAt: now,
  });
}

/**
 * `participant.status_changed` for the workers a sponsor batch moved (PENDING or INACTIVE → ACTIVE,
 * GRACE → ACTIVE): one statement, reading their rows as the batch left them.
 */
export async function recordBatchStatusChanges(
  tx: Executor,
  workers: readonly { participantId: number; before: string | null; after: string }[],
  now: Date,
  cause: string,
): Promise<void> {
  const changed = workers
    .map((w) => ({ id: w.participantId, from: membershipStatus(w.before, now), to: membershipStatus(w.after, now) }))
    .filter((w) => w.from !== w.to);
  for (let i = 0; i < changed.length; i += 5_000) {
    const chunk = changed.slice(i, i + 5_000);
    await tx.execute(sql`
      insert into outbox_events (type, version, participant_id, sponsor_id, data, occurred_at)
      select 'participant.status_changed', ${eventVersions["participant.status_changed"]}, p.id, p.sponsor_id,
        jsonb_build_object('participant', ${snapshotSql(sql`c.to_status`)}, 'previousStatus', c.from_status,
          'status', c.to_status, 'cause', ${cause}::text), ${now.toISOString()}::timestamptz
      from unnest(${`{${chunk.map((c) => c.id).join(",")}}`}::bigint[], ${`{${chunk.map((c) => c.from).join(",")}}`}::text[],
        ${`{${chunk.map((c) => c.to).join(",")}}`}::text[]) with ordinality as c(id, from_status, to_status, n)
      join participants p on p.id = c.id
      order by c.n`);
  }
}
