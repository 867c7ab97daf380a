import { and, eq, gt, gte, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Database, Executor, Transaction } from "../../db/client";
import { forgetRowsBefore, idPartitionsAhead } from "../../db/growth";
import { insertList, rowOf, rowsOf } from "../../db/rows";
import { monthNumber, monthStart, wibDayEnd, wibDayStart } from "../../shared/calendar";
import type { Viewer } from "../access/rules";
import { auditLog } from "../audit/tables";
import type { Program } from "../contributions/tables";
import { outboxEvents } from "../outbox/tables";
import { participants, sponsorshipEnrollments } from "../participants/tables";
import { type PaymentFilter, visiblePayments } from "./conditions";
import { coveredMonths, paymentBatches, paymentEvents, paymentKeys, payments, programMonths } from "./tables";

export function countPayments(db: Database, filter: PaymentFilter, viewer: Viewer): Promise<number> {
  return db.$count(payments, visiblePayments(payments, filter, viewer));
}

export type PaymentRow = typeof payments.$inferSelect;

export function findPayment(db: Executor, id: number) {
  return db.query.payments.findFirst({ where: { id } });
}

/** The payment a key still honoured was taken by (the key register, `paymentKeys`), if any. */
export async function findPaymentByKey(db: Executor, idempotencyScope: string, idempotencyKey: string) {
  const [row] = await db
    .select()
    .from(payments)
    .where(
      eq(
        payments.id,
        sql`(select ${paymentKeys.paymentId} from ${paymentKeys}
             where ${paymentKeys.idempotencyScope} = ${idempotencyScope} and ${paymentKeys.idempotencyKey} = ${idempotencyKey})`,
      ),
    );
  return row;
}

/** The relay global id of the payment a statement's CTE `created` inserted, as shared/ids encodes it. */
const createdPaymentGlobalId = sql`translate(encode(convert_to('Payment:' || created.id, 'UTF8'), 'base64'), E'\n', '')`;

/**
 * A new payment, its partner event and its audit row in ONE statement: data-modifying CTEs
 * commit together, so the hottest write pays no BEGIN/COMMIT round trips and still leaves no
 * payment without its event or its audit row. The event's `data.payment.id` and the audit row's
 * first target are the inserted row's. The key is taken first, in the key register, with the id
 * the payment will have; nothing is written when the caller's idempotency key is taken, possibly
 * by a concurrent request (null): the caller answers with that key's payment.
 */
export async function insertPaymentRecorded(
  db: Executor,
  row: typeof payments.$inferInsert,
  event: typeof outboxEvents.$inferInsert,
  audit: typeof auditLog.$inferInsert,
): Promise<PaymentRow | null> {
  const payment = insertList(payments, row);
  const outbox = insertList(outboxEvents, event, {
    data: sql`jsonb_set(${JSON.stringify(event.data)}::jsonb, '{payment,id}', to_jsonb(${createdPaymentGlobalId}))`,
  });
  const record = insertList(auditLog, audit, {
    targetIds: sql`array_prepend('payment:' || created.id, ${sql.param(audit.targetIds, auditLog.targetIds)}::text[])`,
  });
  const result = await db.execute(sql`
    with taken as (
      insert into ${paymentKeys} (idempotency_scope, idempotency_key, payment_id, created_at)
      values (${row.idempotencyScope}, ${row.idempotencyKey}, nextval('payments_id_seq'), ${row.createdAt}::timestamptz)
      on conflict do nothing
      returning payment_id
    ), created as (
      insert into ${payments} (id, ${payment.columns}) overriding system value select taken.payment_id, ${payment.values} from taken
      returning *
    ), event as (
      insert into ${outboxEvents} (${outbox.columns}) select ${outbox.values} from created
    ), audit as (
      insert into ${auditLog} (${record.columns}) select ${record.values} from created
    )
    select * from created`);
  const [created] = rowsOf<Record<string, unknown>>(result);
  return created ? rowOf(payments, created) : null;
}

/** Reads a payment and holds its row lock until the transaction ends: settlements of one payment queue here. */
export async function lockPayment(tx: Transaction, id: number): Promise<PaymentRow | null> {
  const [row] = await tx.select().from(payments).where(eq(payments.id, id)).for("update");
  return row ?? null;
}

export async function updatePayment(tx: Transaction, id: number, changes: Partial<typeof payments.$inferInsert>) {
  const [row] = await tx.update(payments).set(changes).where(eq(payments.id, id)).returning();
  if (!row) throw new Error(`payment ${id} vanished inside its own lock`);
  return row;
}

export async function coverMonths(tx: Transaction, participantId: number, paymentId: number, months: string[]) {
  await tx.insert(coveredMonths).values(months.map((month) => ({ participantId, paymentId, month })));
}

/** The months a payment (full or part) covers, oldest first. */
export async function monthsCoveredBy(tx: Transaction, paymentId: number): Promise<string[]> {
  const rows = await tx
    .selectDistinct({ month: sql<string>`${programMonths.month}::text` })
    .from(programMonths)
    .where(eq(programMonths.paymentId, paymentId))
    .orderBy(sql`1`);
  return rows.map((row) => row.month);
}

/** A part's months: its programs on months whose JKK and JKM another payment covers. */
export async function coverPartMonths(
  tx: Transaction,
  participantId: number,
  paymentId: number,
  programs: readonly Program[],
  months: readonly string[],
) {
  const rows = programs.flatMap((program) => months.map((month) => ({ participantId, program, month, paymentId })));
  if (rows.length > 0) await tx.insert(programMonths).values(rows);
}

/**
 * The months from `from` on whose JKK and JKM are paid, and those of them already paid for any
 * of `programs`: what a part may still top up.
 */
export async function monthsOpenToPart(
  db: Executor,
  participantId: number,
  programs: readonly Program[],
  from: string,
) {
  const covered = await db
    .select({ month: sql<string>`${coveredMonths.month}::text` })
    .from(coveredMonths)
    .where(and(eq(coveredMonths.participantId, participantId), gte(coveredMonths.month, from)));
  const paid = await db
    .selectDistinct({ month: sql<string>`${programMonths.month}::text` })
    .from(programMonths)
    .where(
      and(
        eq(programMonths.participantId, participantId),
        inArray(programMonths.program, [...programs]),
        gte(programMonths.month, from),
      ),
    );
  return { covered: covered.map((row) => row.month), paid: new Set(paid.map((row) => row.month)) };
}

/** Gives up a payment's months: its covered months (a full payment's program rows follow by trigger) and a part's program months. */
export async function uncoverMonths(tx: Transaction, paymentId: number, months: string[]) {
  if (months.length === 0) return;
  await tx
    .delete(coveredMonths)
    .where(and(eq(coveredMonths.paymentId, paymentId), inArray(coveredMonths.month, months)));
  await tx
    .delete(programMonths)
    .where(and(eq(programMonths.paymentId, paymentId), inArray(programMonths.month, months)));
}

/**
 * Closes the hole a refund left at `hole` (a month no longer covered): every month covered after
 * it moves back by the hole's width, oldest first, so prepaid months stay one unbroken run and
 * `paid_through` is never past an uncovered month. Delete + insert (not update) so the rollup
 * triggers see the months leave and arrive. Returns the payments whose coverage moved.
 */
export async function closeCoverageHole(tx: Transaction, participantId: number, hole: string): Promise<number[]> {
  const later = await tx
    .delete(coveredMonths)
    .where(and(eq(coveredMonths.participantId, participantId), gt(coveredMonths.month, hole)))
    .returning();
  if (later.length === 0) return [];
  later.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
  const start = monthNumber(hole);
  const shifted = new Map(later.map((row, i) => [row.month, monthStart(start + i)]));
  // What is left after the month is parts' rows (full payments' went with their covered months):
  // a part tops up the months it was paid on, so it moves with them.
  const parts = await tx
    .delete(programMonths)
    .where(and(eq(programMonths.participantId, participantId), gt(programMonths.month, hole)))
    .returning();
  await tx
    .insert(coveredMonths)
    .values(
      later.map((row) => ({ participantId, paymentId: row.paymentId, month: shifted.get(row.month) ?? row.month })),
    );
  if (parts.length > 0) {
    await tx.insert(programMonths).values(
      parts.map((row) => {
        const month = shifted.get(row.month);
        if (month === undefined)
          throw new Error(`part of payment ${row.paymentId} on ${row.month}, a month nobody covers`);
        return { ...row, month };
      }),
    );
  }
  const moved = [...new Set([...later, ...parts].map((row) => row.paymentId))];
  await tx.execute(sql`
    update ${payments} p set coverage_from = c.first, coverage_through = c.last
    from (select payment_id, min(month) as first, max(month) as last from ${programMonths}
          where participant_id = ${participantId} and ${inArray(programMonths.paymentId, moved)} group by payment_id) c
    where p.id = c.payment_id`);
  return moved;
}

/**
 * Each of a participant's payments (full or part) that covers months after `month`, with those
 * months and the sponsorship its batch was paid from (null when the worker or a sponsor paid it
 * one by one).
 */
export function paymentsCoveringAfter(db: Executor, participantId: number, month: string) {
  return paymentsCoveringWhere(db, participantId, gt(programMonths.month, month));
}

/** The same for the payments covering one of `months`. */
export async function paymentsCovering(db: Executor, participantId: number, months: string[]) {
  return months.length === 0 ? [] : paymentsCoveringWhere(db, participantId, inArray(programMonths.month, months));
}

async function paymentsCoveringWhere(
  db: Executor,
  participantId: number,
  months: SQL,
): Promise<{ paymentId: number; sponsorshipId: number | null; months: string[] }[]> {
  return db
    .select({
      paymentId: programMonths.paymentId,
      sponsorshipId: paymentBatches.sponsorshipId,
      months: sql<string[]>`array_agg(distinct ${programMonths.month}::text order by ${programMonths.month}::text)`,
    })
    .from(programMonths)
    .innerJoin(payments, eq(payments.id, programMonths.paymentId))
    .leftJoin(paymentBatches, eq(paymentBatches.id, payments.batchId))
    .where(and(eq(programMonths.participantId, participantId), months))
    .groupBy(programMonths.paymentId, paymentBatches.sponsorshipId)
    .orderBy(programMonths.paymentId);
}

/** Each program's last paid month for a participant: what each program's own paid-through is. */
export function programsPaidThrough(db: Executor, participantId: number) {
  return db
    .select({ program: programMonths.program, paidThrough: sql<string>`max(${programMonths.month})::text` })
    .from(programMonths)
    .where(eq(programMonths.participantId, participantId))
    .groupBy(programMonths.program);
}

/** The last month any settled payment covers for a participant: what `paid_through` must equal. */
export async function lastCoveredMonth(tx: Transaction, participantId: number): Promise<string | null> {
  const [row] = await tx
    .select({ month: sql<string | null>`max(${coveredMonths.month})::text` })
    .from(coveredMonths)
    .where(eq(coveredMonths.participantId, participantId));
  return row?.month ?? null;
}

export async function insertPaymentEventUnlessSeen(db: Executor, row: typeof paymentEvents.$inferInsert) {
  const [created] = await db
    .insert(paymentEvents)
    .values(row)
    .onConflictDoNothing({ target: [paymentEvents.channel, paymentEvents.reference] })
    .returning();
  return created ?? null;
}

/** A channel's earlier notification with this reference, locked until the transaction ends. */
export async function lockPaymentEvent(tx: Transaction, channel: string, reference: string) {
  const [row] = await tx
    .select()
    .from(paymentEvents)
    .where(and(eq(paymentEvents.channel, channel), eq(paymentEvents.reference, reference)))
    .for("update");
  return row ?? null;
}

export async function setPaymentEventOutcome(tx: Transaction, id: number, outcome: string, paymentId: number | null) {
  await tx.update(paymentEvents).set({ outcome, paymentId }).where(eq(paymentEvents.id, id));
}

export function findPaymentBatchById(db: Executor, id: number) {
  return db.query.paymentBatches.findFirst({ where: { id } });
}

export function findPaymentBatch(db: Executor, idempotencyScope: string, idempotencyKey: string) {
  return db.query.paymentBatches.findFirst({ where: { idempotencyScope, idempotencyKey } });
}

export async function insertPaymentBatch(tx: Transaction, row: typeof paymentBatches.$inferInsert) {
  const [created] = await tx.insert(paymentBatches).values(row).returning();
  if (!created) throw new Error("payment batch insert returned nothing");
  return created;
}

/** The participants a sponsorship covers now, locked for their coverage to change. */
export async function lockEnrolledParticipants(tx: Transaction, sponsorshipId: number) {
  return tx
    .select({
      id: participants.id,
      segment: participants.segment,
      programs: participants.programs,
      reportedMonthlyIncome: participants.reportedMonthlyIncome,
      riskLevel: participants.riskLevel,
      paidThrough: participants.paidThrough,
      exitedOn: participants.exitedOn,
      identityStatus: participants.identityStatus,
    })
    .from(participants)
    .innerJoin(
      sponsorshipEnrollments,
      and(
        eq(sponsorshipEnrollments.participantId, participants.id),
        eq(sponsorshipEnrollments.sponsorshipId, sponsorshipId),
        isNull(sponsorshipEnrollments.endedOn),
      ),
    )
    .orderBy(participants.id)
    .for("update", { of: participants });
}

/**
 * Writes a batch's payments, PENDING until the sponsor's money arrives, in set-sized statements,
 * and registers their keys: a key already taken fails the batch (its transaction), as the batch's
 * own key makes a retry find the batch before it gets here.
 */
export async function insertBatchPayments(tx: Transaction, rows: (typeof payments.$inferInsert)[]) {
  for (let i = 0; i < rows.length; i += 1_000) {
    const written = await tx
      .insert(payments)
      .values(rows.slice(i, i + 1_000))
      .returning({
        idempotencyScope: payments.idempotencyScope,
        idempotencyKey: payments.idempotencyKey,
        paymentId: payments.id,
        createdAt: payments.createdAt,
      });
    await tx.insert(paymentKeys).values(written);
  }
}

/** Forgets the keys taken before `before` (no longer honoured); returns how many. */
export function forgetPaymentKeys(tx: Transaction, before: string): Promise<number> {
  return forgetRowsBefore(tx, paymentKeys, paymentKeys.createdAt, before);
}

/** Creates the partitions of payments the ids will need next; returns those it created. */
export function addPaymentPartitions(tx: Transaction): Promise<{ created: string[] } | null> {
  return idPartitionsAhead(tx, "payments");
}

/** Reads a batch and holds its row lock: outcomes of one batch queue here. */
export async function lockPaymentBatch(tx: Transaction, id: number) {
  const [row] = await tx.select().from(paymentBatches).where(eq(paymentBatches.id, id)).for("update");
  return row ?? null;
}

export async function updatePaymentBatch(
  tx: Transaction,
  id: number,
  changes: Partial<typeof paymentBatches.$inferInsert>,
) {
  const [row] = await tx.update(paymentBatches).set(changes).where(eq(paymentBatches.id, id)).returning();
  if (!row) throw new Error(`payment batch ${id} vanished inside its own lock`);
  return row;
}

/**
 * A batch's pending payments with their participants' coverage, the participants locked (in id
 * order, as every path that locks several participants does) for their coverage to change. Rows
 * come keyed by payment and participant id, never paired by position.
 */
export async function lockBatchPayments(tx: Transaction, batchId: number) {
  return tx
    .select({
      paymentId: payments.id,
      participantId: participants.id,
      months: payments.months,
      amount: payments.amount,
      paidThrough: participants.paidThrough,
      exitedOn: participants.exitedOn,
    })
    .from(payments)
    .innerJoin(participants, eq(participants.id, payments.participantId))
    .where(and(eq(payments.batchId, batchId), eq(payments.status, "PENDING")))
    .orderBy(participants.id)
    .for("update", { of: [participants, payments] });
}

/** Settles a batch's payments: their covered months, coverage and the participants' paid_through, set by set. */
export async function settleBatchPayments(
  tx: Transaction,
  rows: { paymentId: number; participantId: number; months: string[]; from: string; through: string }[],
  at: string,
) {
  for (let i = 0; i < rows.length; i += 1_000) {
    const chunk = rows.slice(i, i + 1_000);
    const covered = chunk.flatMap((row) =>
      row.months.map((month) => ({ participantId: row.participantId, paymentId: row.paymentId, month })),
    );
    for (let j = 0; j < covered.length; j += 5_000) await tx.insert(coveredMonths).values(covered.slice(j, j + 5_000));
    const coverage = sql.join(
      chunk.map((row) => sql`(${row.paymentId}::bigint, ${row.from}::date, ${row.through}::date)`),
      sql`, `,
    );
    await tx.execute(
      sql`update ${payments} set status = 'SETTLED', settled_at = ${at}::timestamptz,
            coverage_from = v.first, coverage_through = v.last
          from (values ${coverage}) as v(id, first, last) where ${payments.id} = v.id`,
    );
    const paidThrough = sql.join(
      chunk.map((row) => sql`(${row.participantId}::bigint, ${row.through}::date)`),
      sql`, `,
    );
    await tx.execute(
      sql`update ${participants} set paid_through = v.paid_through, updated_at = now()
          from (values ${paidThrough}) as v(id, paid_through) where ${participants.id} = v.id`,
    );
  }
}

export async function failPayments(tx: Transaction, ids: number[], at: string) {
  for (let i = 0; i < ids.length; i += 5_000) {
    await tx
      .update(payments)
      .set({ status: "FAILED", failedAt: at })
      .where(and(inArray(payments.id, ids.slice(i, i + 5_000)), eq(payments.status, "PENDING")));
  }
}

/** One row of the reconciliation statement: a settlement, an applied notification, or a difference. */
export type ReconciliationRow = {
  channel: string;
  day: string;
  kind: "SETTLED" | "NOTIFIED" | "SETTLED_WITHOUT_NOTIFICATION" | "NOTIFICATION_NOT_APPLIED";
  payment_id: string | null;
  reference: string | null;
  amount: string;
  outcome: string | null;
};

/** The rows of a channel reconciliation (see payments/reconciliation.ts): one statement. */
export async function reconciliationRows(
  db: Database,
  range: { from: string; to: string; channel: string | null },
): Promise<ReconciliationRow[]> {
  const from = wibDayStart(range.from);
  const before = wibDayEnd(range.to);
  const channel = range.channel;
  const result = await db.execute(sql`
    with settled as (
      select p.id, p.channel, p.amount, (p.settled_at at time zone 'Asia/Jakarta')::date as day
      from payments p
      where p.settled_at >= ${from}::timestamptz and p.settled_at < ${before}::timestamptz
        and (${channel}::text is null or p.channel = ${channel})
    ), notified as (
      select e.id, e.channel, e.reference, e.payment_id, e.amount, e.outcome, (e.received_at at time zone 'Asia/Jakarta')::date as day
      from payment_events e
      where e.status = 'SETTLED' and e.received_at >= ${from}::timestamptz and e.received_at < ${before}::timestamptz
        and (${channel}::text is null or e.channel = ${channel})
    )
    select channel, day::text as day, 'SETTLED' as kind, null as payment_id, null as reference, amount::text, null as outcome from settled
    union all
    select channel, day::text, 'NOTIFIED', null, null, amount::text, null from notified where outcome in ('APPLIED', 'ALREADY_APPLIED')
    union all
    select s.channel, s.day::text, 'SETTLED_WITHOUT_NOTIFICATION', s.id::text, null, s.amount::text, null
    from settled s
    where not exists (
      select 1 from payment_events e
      where e.payment_id = s.id and e.status = 'SETTLED' and e.outcome in ('APPLIED', 'ALREADY_APPLIED')
    )
    union all
    select channel, day::text, 'NOTIFICATION_NOT_APPLIED', payment_id::text, reference, amount::text, outcome
    from notified where outcome not in ('APPLIED', 'ALREADY_APPLIED')
    order by 1, 2, 3, 4`);
  return rowsOf<ReconciliationRow>(result);
}

/** The months a participant's settled payments cover. */
export async function coveredMonthsOf(db: Executor, participantId: number): Promise<string[]> {
  const rows = await db
    .select({ month: sql<string>`${coveredMonths.month}::text` })
    .from(coveredMonths)
    .where(eq(coveredMonths.participantId, participantId));
  return rows.map((row) => row.month);
}

/**
 * Moves a participant's payments and covered months to another (a duplicate merged into it).
 * Covered months are deleted and inserted again, not updated, so the rollup triggers see them
 * leave one participant and arrive at the other.
 */
export async function moveCoverageTo(tx: Transaction, fromId: number, toId: number): Promise<void> {
  const moved = await tx.delete(coveredMonths).where(eq(coveredMonths.participantId, fromId)).returning();
  await tx.update(payments).set({ participantId: toId }).where(eq(payments.participantId, fromId));
  // Parts' rows (full payments' left with their covered months and come back with them below).
  await tx.update(programMonths).set({ participantId: toId }).where(eq(programMonths.participantId, fromId));
  for (let i = 0; i < moved.length; i += 1_000) {
    await tx
      .insert(coveredMonths)
      .values(
        moved.slice(i, i + 1_000).map((row) => ({ participantId: toId, paymentId: row.paymentId, month: row.month })),
      );
  }
}
