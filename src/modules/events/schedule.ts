/**
 * Events that come from the calendar rather than from a request: status is derived from
 * `paidThrough` against today, so nothing is written when a worker slips from ACTIVE to GRACE at a
 * month boundary. The daily job finds those transitions (a range on the indexed `paid_through`)
 * and writes one event per participant and transition, keyed so that running it again, or on
 * every day of the month, adds nothing.
 */
import { and, arrayContains, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { addDays, currentMonth, monthStart, wibDate } from "../../shared/calendar";
import { eventVersions } from "../outbox/event-types";
import { snapshotSql } from "../participants/events";
import { membershipStatus, statusPolicy } from "../participants/rules";
import { webhookEndpoints } from "./tables";

/** A month number as `YYYY-MM`. */
function monthLabel(month: number): string {
  return monthStart(month).slice(0, 7);
}

/**
 * The status transitions of this month's boundary: for each `paidThrough` whose status differs
 * between last month and this one (ACTIVE → GRACE for last month's, GRACE → INACTIVE for the one
 * `inactiveAfterUnpaidMonths` back), one event per participant, once.
 */
export async function emitStatusTransitions(db: Database, now: Date): Promise<number> {
  const month = currentMonth(now);
  const lastMonth = new Date(`${monthStart(month - 1)}T12:00:00Z`);
  let emitted = 0;
  for (let back = 1; back <= statusPolicy.inactiveAfterUnpaidMonths + 1; back++) {
    const paidThrough = monthStart(month - back);
    const from = membershipStatus(paidThrough, lastMonth);
    const to = membershipStatus(paidThrough, now);
    if (from === to) continue;
    const result = await db.execute(sql`
      insert into outbox_events (type, version, participant_id, sponsor_id, data, dedupe_key, occurred_at)
      select 'participant.status_changed', ${eventVersions["participant.status_changed"]}, p.id, p.sponsor_id,
        jsonb_build_object('participant', ${snapshotSql(sql`${to}::text`)}, 'previousStatus', ${from}::text,
          'status', ${to}::text, 'cause', 'month_boundary', 'month', ${monthLabel(month)}::text),
        'participant.status_changed:' || p.id || ':' || ${monthLabel(month)}::text || ':' || ${to}::text,
        ${now.toISOString()}::timestamptz
      from participants p where p.paid_through = ${paidThrough} and p.exited_on is null
      order by p.id
      on conflict (dedupe_key) do nothing`);
    emitted += Number((result as { rowCount?: number | null }).rowCount ?? 0);
  }
  return emitted;
}

/**
 * `participant.payment_due` for each lead time some endpoint asked for: every participant whose
 * next due date (the 15th of their first unpaid month) falls within that many days, once per due
 * date and lead time.
 */
export async function emitPaymentDue(db: Database, now: Date): Promise<number> {
  const leads = await db
    .selectDistinct({ days: webhookEndpoints.paymentDueDays })
    .from(webhookEndpoints)
    .where(
      and(isNull(webhookEndpoints.deletedAt), arrayContains(webhookEndpoints.eventTypes, ["participant.payment_due"])),
    );
  const today = wibDate(now);
  const month = currentMonth(now);
  let emitted = 0;
  for (const { days } of leads) {
    const horizon = addDays(today, days);
    for (const dueMonth of [month, month + 1, month + 2]) {
      const dueDate = `${monthLabel(dueMonth)}-15`;
      if (!(dueDate > today && dueDate <= horizon)) continue;
      const status = membershipStatus(monthStart(dueMonth - 1), now);
      const result = await db.execute(sql`
        insert into outbox_events (type, version, participant_id, sponsor_id, data, dedupe_key, occurred_at)
        select 'participant.payment_due', ${eventVersions["participant.payment_due"]}, p.id, p.sponsor_id,
          jsonb_build_object('participant', ${snapshotSql(sql`${status}::text`)}, 'dueDate', ${dueDate}::text,
            'daysBefore', ${days}::int),
          'participant.payment_due:' || p.id || ':' || ${dueDate}::text || ':' || ${days}::int,
          ${now.toISOString()}::timestamptz
        from participants p where p.paid_through = ${monthStart(dueMonth - 1)} and p.exited_on is null
        order by p.id
        on conflict (dedupe_key) do nothing`);
      emitted += Number((result as { rowCount?: number | null }).rowCount ?? 0);
    }
  }
  return emitted;
}

/** How long events, deliveries and attempts are kept: the replay window and a few days more. */
export const EVENT_RETENTION_DAYS = 35;

/**
 * Forgets relayed events older than the retention, with their finished deliveries and attempts
 * (deliveries still open keep their event). At most `limit` events per run, so a backlog is worked
 * off over a few days instead of in one long transaction.
 */
export async function pruneEvents(db: Database, now: Date, limit = 50_000): Promise<number> {
  const cutoff = new Date(now.getTime() - EVENT_RETENTION_DAYS * 86_400_000).toISOString();
  const result = await db.execute(sql`
    with old as (
      select e.id from outbox_events e
      where e.relayed_at is not null and e.occurred_at < ${cutoff}
        and not exists (select 1 from webhook_deliveries d
                        where d.event_id = e.id and d.status in ('PENDING', 'FAILED', 'HELD'))
      order by e.id limit ${limit}
    ), deliveries as (
      select d.id from webhook_deliveries d where d.event_id in (select id from old)
    ), attempts as (
      delete from webhook_attempts a where a.delivery_id in (select id from deliveries) returning 1
    ), gone as (
      delete from webhook_deliveries d where d.id in (select id from deliveries)
        and (select count(*) from attempts) >= 0 returning 1
    )
    delete from outbox_events e where e.id in (select id from old) and (select count(*) from gone) >= 0`);
  return Number((result as { rowCount?: number | null }).rowCount ?? 0);
}

/** The daily job's events, and the retention of old ones. */
export async function emitScheduledEvents(db: Database, now: Date) {
  return {
    statusChanged: await emitStatusTransitions(db, now),
    paymentDue: await emitPaymentDue(db, now),
    pruned: await pruneEvents(db, now),
  };
}
