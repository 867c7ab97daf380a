/**
 * Events that come from the calendar rather than from a request: status is derived from
 * `paidThrough` against today, so nothing is written when a worker slips from ACTIVE to GRACE at a
 * month boundary. The daily job finds those transitions (a range on the indexed `paid_through`)
 * and writes one event per participant and transition, keyed so that running it again, or on
 * every day of the month, adds nothing.
 */
import { and, arrayContains, isNull, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor, Transaction } from "../../db/client";
import { changePartitions, forgetRowsBefore, idPartitionsAhead, partitionsChanged } from "../../db/growth";
import { rowCountOf, rowsOf } from "../../db/rows";
import { addDays, currentMonth, monthStart, wibDate } from "../../shared/calendar";
import type { JobStep } from "../jobs/service";
import { eventVersions } from "../outbox/event-types";
import { EVENT_RETENTION_DAYS, outboxDedupeKeys } from "../outbox/tables";
import { regionCondition } from "../participants/conditions";
import { snapshotSql } from "../participants/events";
import { membershipStatus, statusPolicy } from "../participants/rules";
import { participants } from "../participants/tables";
import { stillOwed } from "./store";
import { webhookEndpoints } from "./tables";

/** A month number as `YYYY-MM`. */
function monthLabel(month: number): string {
  return monthStart(month).slice(0, 7);
}

/**
 * Writes the events `candidates` selects (type, version, participant_id, sponsor_id, data,
 * dedupe_key, occurred_at) whose keys it takes, in participant order: an event already emitted
 * (its key held) is not written again. Its row count is the events written.
 */
function oncePerKey(candidates: SQL): SQL {
  return sql`
    with candidates as (${candidates}),
    taken as (
      insert into outbox_dedupe_keys (dedupe_key, occurred_at)
      select dedupe_key, occurred_at from candidates order by participant_id
      on conflict do nothing
      returning dedupe_key
    )
    insert into outbox_events (type, version, participant_id, sponsor_id, data, dedupe_key, occurred_at)
    select c.type, c.version, c.participant_id, c.sponsor_id, c.data, c.dedupe_key, c.occurred_at
    from candidates c join taken t on t.dedupe_key = c.dedupe_key
    order by c.participant_id`;
}

/** Participants under the name the calendar's SQL gives them (`from participants p`). */
const calendarParticipants = alias(participants, "p");

/** The participants of one province, or all of them (null). */
const inProvince = (province: string | null) =>
  province === null ? sql`true` : regionCondition(calendarParticipants, province);

/**
 * The status transitions of this month's boundary: for each `paidThrough` whose status differs
 * between last month and this one (ACTIVE → GRACE for last month's, GRACE → INACTIVE for the one
 * `inactiveAfterUnpaidMonths` back), one event per participant, once; of one province's
 * participants, or all (null).
 */
export async function emitStatusTransitions(db: Executor, now: Date, province: string | null = null): Promise<number> {
  const month = currentMonth(now);
  const lastMonth = new Date(`${monthStart(month - 1)}T12:00:00Z`);
  let emitted = 0;
  for (let back = 1; back <= statusPolicy.inactiveAfterUnpaidMonths + 1; back++) {
    const paidThrough = monthStart(month - back);
    const from = membershipStatus(paidThrough, lastMonth);
    const to = membershipStatus(paidThrough, now);
    if (from === to) continue;
    const result = await db.execute(
      oncePerKey(sql`
      select 'participant.status_changed' as type, ${eventVersions["participant.status_changed"]}::smallint as version,
        p.id as participant_id, p.sponsor_id,
        jsonb_build_object('participant', ${snapshotSql(sql`${to}::text`)}, 'previousStatus', ${from}::text,
          'status', ${to}::text, 'cause', 'month_boundary', 'month', ${monthLabel(month)}::text) as data,
        'participant.status_changed:' || p.id || ':' || ${monthLabel(month)}::text || ':' || ${to}::text as dedupe_key,
        ${now.toISOString()}::timestamptz as occurred_at
      from participants p where p.paid_through = ${paidThrough} and p.exited_on is null and ${inProvince(province)}`),
    );
    emitted += rowCountOf(result);
  }
  return emitted;
}

/**
 * `participant.payment_due` for each lead time some endpoint asked for: every participant whose
 * next due date (the 15th of their first unpaid month) falls within that many days, once per due
 * date and lead time.
 */
export async function emitPaymentDue(db: Executor, now: Date, province: string | null = null): Promise<number> {
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
      const result = await db.execute(
        oncePerKey(sql`
        select 'participant.payment_due' as type, ${eventVersions["participant.payment_due"]}::smallint as version,
          p.id as participant_id, p.sponsor_id,
          jsonb_build_object('participant', ${snapshotSql(sql`${status}::text`)}, 'dueDate', ${dueDate}::text,
            'daysBefore', ${days}::int) as data,
          'participant.payment_due:' || p.id || ':' || ${dueDate}::text || ':' || ${days}::int as dedupe_key,
          ${now.toISOString()}::timestamptz as occurred_at
        from participants p where p.paid_through = ${monthStart(dueMonth - 1)} and p.exited_on is null
          and ${inProvince(province)}`),
      );
      emitted += rowCountOf(result);
    }
  }
  return emitted;
}

/** The oldest instant events (and their dedupe keys) are kept from at `now`. */
const keptSince = (now: Date) => new Date(now.getTime() - EVENT_RETENTION_DAYS * 86_400_000).toISOString();

/**
 * Forgets relayed events older than the retention, with their deliveries and attempts (a
 * delivery still owed to a partner, `stillOwed`, keeps its event). At most `limit` events per run,
 * so a backlog is worked off over a few days instead of in one long transaction.
 */
export async function pruneEvents(db: Executor, now: Date, limit = 50_000): Promise<number> {
  const cutoff = keptSince(now);
  const result = await db.execute(sql`
    with old as (
      select e.id from outbox_events e
      where e.relayed_at is not null and e.occurred_at < ${cutoff}
        and not ${stillOwed(sql`d.event_id = e.id`)}
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
  return rowCountOf(result);
}

/**
 * The event calendar's part of the daily job (`src/daily-job.ts`), first in it so partners hear
 * of the day's changes early: the month boundary's status transitions and the payment reminders
 * province by province (at national scale a month boundary moves millions of workers), then the
 * retention of old events. Each step is checkpointed, and each event is written once per key, so
 * a step run again after a cut-off writes nothing twice.
 */
export function eventCalendarSteps(now: Date, provinces: readonly string[]): JobStep[] {
  return [
    ...provinces.map((province) => ({
      name: `events:status-changed:${province}`,
      run: async (tx: Transaction) => ({ emitted: await emitStatusTransitions(tx, now, province) }),
    })),
    ...provinces.map((province) => ({
      name: `events:payment-due:${province}`,
      run: async (tx: Transaction) => ({ emitted: await emitPaymentDue(tx, now, province) }),
    })),
    { name: "events:pruned", run: async (tx) => ({ pruned: await pruneEvents(tx, now) }) },
  ];
}

/**
 * Drops the oldest outbox partition once its events are all past the retention, relayed, and
 * without a delivery still owed (`stillOwed`), with its deliveries and their attempts: at national
 * volume the retention's work is dropping a partition a week, not deleting millions of rows a day.
 * One a run: the detach holds the outbox's lock until the step commits, so nothing else follows it
 * in the step (a backlog clears at one a day). The partition holding the newest ids is never
 * dropped.
 * Returns the partition dropped, none, or null when the outbox was too busy to lock.
 */
export async function retireEventPartitions(tx: Transaction, now: Date): Promise<{ dropped: string[] } | null> {
  const cutoff = keptSince(now);
  const [oldest] = rowsOf<{ name: string; lo: string | null; hi: string }>(
    await tx.execute(sql`
      select name, lo, hi from (
        select c.relname as name,
               substring(pg_get_expr(c.relpartbound, c.oid) from 'FROM \\(''?(\\d+)') as lo,
               substring(pg_get_expr(c.relpartbound, c.oid) from 'TO \\(''?(\\d+)') as hi
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'outbox_events'::regclass
      ) bounds
      where hi::bigint <= (select coalesce(max(id), 0) from outbox_events)
      order by hi::bigint
      limit 1`),
  );
  if (!oldest) return { dropped: [] };
  const { name, lo, hi } = oldest;
  const from = lo ?? "0";
  const [state] = rowsOf<{ done: boolean }>(
    await tx.execute(sql`
      select (select max(occurred_at) from ${sql.identifier(name)}) < ${cutoff}::timestamptz
         and not exists (select 1 from ${sql.identifier(name)} where relayed_at is null)
         and not ${stillOwed(sql`d.event_id >= ${from}::bigint and d.event_id < ${hi}::bigint`)} as done`),
  );
  // An empty partition (max is null) below the newest ids is done too.
  if (state?.done === false) return { dropped: [] };
  const dropped = await changePartitions(tx, async (change) => {
    await change.execute(sql`
      delete from webhook_attempts a using webhook_deliveries d
      where a.delivery_id = d.id and d.event_id >= ${from}::bigint and d.event_id < ${hi}::bigint`);
    await change.execute(
      sql`delete from webhook_deliveries where event_id >= ${from}::bigint and event_id < ${hi}::bigint`,
    );
    await change.execute(sql`alter table outbox_events detach partition ${sql.identifier(name)}`);
    await change.execute(sql`drop table ${sql.identifier(name)}`);
    return name;
  });
  return dropped === null ? null : { dropped: [dropped] };
}

/**
 * The outbox's part of the daily job (`src/daily-job.ts`): partitions for the ids to come,
 * partitions past the retention dropped, dedupe keys past it forgotten.
 */
export function outboxUpkeepSteps(now: Date): JobStep[] {
  return [
    {
      name: "outbox:partitions-ahead",
      run: async (tx) => partitionsChanged(await idPartitionsAhead(tx, "outbox_events")),
    },
    {
      name: "outbox:partitions-retired",
      run: async (tx) => partitionsChanged(await retireEventPartitions(tx, now)),
    },
    {
      name: "outbox:keys-forgotten",
      run: async (tx) => ({
        forgotten: await forgetRowsBefore(tx, outboxDedupeKeys, outboxDedupeKeys.occurredAt, keptSince(now)),
      }),
    },
  ];
}
