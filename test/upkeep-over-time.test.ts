import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyJobSteps } from "../src/daily-job";
import { messagesOf } from "../src/db/errors";
import { rowsOf } from "../src/db/rows";
import { auditUpkeepSteps } from "../src/modules/audit/service";
import { auditKeptMonths } from "../src/modules/audit/tables";
import { revokeApiKey } from "../src/modules/credentials/store";
import { deliverBatch } from "../src/modules/events/delivery";
import { InProcessQueue } from "../src/modules/events/memory-queue";
import type { DeliveryMessage } from "../src/modules/events/queue";
import { relayOutbox } from "../src/modules/events/relay";
import { outboxUpkeepSteps } from "../src/modules/events/schedule";
import { insertEvents } from "../src/modules/outbox/outbox";
import { EVENT_RETENTION_DAYS } from "../src/modules/outbox/tables";
import { paymentUpkeepSteps } from "../src/modules/payments/service";
import { dataOf, startTestApi, TEST_WEBHOOK_SECRET_KEY, type TestApi } from "./testkit/api";
import { daysFromToday, TODAY_DATE } from "./testkit/dates";
import { givenParticipant, givenPartnerKey, givenSettledPayment } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";
import { pay } from "./testkit/payments";
import { testDeliveryPolicy } from "./testkit/receiver";

/**
 * The daily job's upkeep of the partitioned tables, run once a simulated day for about two years
 * on one database, since some bugs show only once a partition was retired or a month archived
 * (id_partitions_ahead once failed 35 days after launch, when outbox_events_p0 was dropped). Rows
 * are written every day, the ids cross 50 M boundaries, and the real relay and consumer deliver
 * events to partners' endpoints, which are paused, resumed, deleted or lose their API key.
 */
let api: TestApi;
const width = 50_000_000;
const DAY_MS = 86_400_000;

async function rows<T>(query: SQL): Promise<T[]> {
  return rowsOf<T>(await api.db.execute(query));
}

/** A partition and its bounds: ids, or epoch ms for the audit log (MINVALUE as -Infinity). */
type Part = { name: string; lo: number; hi: number };
type Parent = "payments" | "outbox_events" | "audit_log";

interface Tables {
  /** Every partition of the three tables but the audit log's default, by upper bound. */
  parts: Record<Parent, Part[]>;
  /** The last id each sequence handed out. */
  taken: { payments: number; outbox_events: number };
  /** The tables in schema `archive`. */
  archived: string[];
}

/** The partitioned tables as the catalog has them, in one query. */
async function tables(): Promise<Tables> {
  const found = await rows<{ parent: Parent | "archive" | "taken"; name: string; lo: string | null; hi: string }>(sql`
    with b as (
      select p.relname as parent, c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
      where p.relname in ('payments', 'outbox_events', 'audit_log') and c.relname <> 'audit_log_default'
    )
    select 'taken' as parent, 'sequences' as name,
      (select case when is_called then last_value else last_value - 1 end from payments_id_seq)::text as lo,
      (select case when is_called then last_value else last_value - 1 end from outbox_events_id_seq)::text as hi
    union all
    select 'archive', c.relname, null, '0' from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'archive' and c.relkind = 'r'
    union all
    select parent, name,
      case when parent = 'audit_log'
        then (extract(epoch from substring(bound from 'FROM \\(''([^'']+)')::timestamptz) * 1000)::bigint::text
        else substring(bound from 'FROM \\(''?(\\d+)') end as lo,
      case when parent = 'audit_log'
        then (extract(epoch from substring(bound from 'TO \\(''([^'']+)')::timestamptz) * 1000)::bigint::text
        else substring(bound from 'TO \\(''?(\\d+)') end as hi
    from b`);
  const result: Tables = {
    parts: { payments: [], outbox_events: [], audit_log: [] },
    taken: { payments: 0, outbox_events: 0 },
    archived: [],
  };
  for (const { parent, name, lo, hi } of found) {
    if (parent === "taken") result.taken = { payments: Number(lo), outbox_events: Number(hi) };
    else if (parent === "archive") result.archived.push(name);
    else result.parts[parent].push({ name, lo: lo === null ? -Infinity : Number(lo), hi: Number(hi) });
  }
  for (const parts of Object.values(result.parts)) parts.sort((a, b) => a.hi - b.hi);
  return result;
}

const utcMonthStart = (at: number, plus = 0) => {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1);
};
const monthName = (at: number) => new Date(at).toISOString().slice(0, 7);
/** The daily job's instant on simulated day `day`: 00:05 WIB, when the Cron Trigger starts it. */
const runAt = (day: number) => new Date(`${daysFromToday(day)}T00:05:00+07:00`);
const instantOn = (day: number, wib: string) => new Date(`${daysFromToday(day)}T${wib}:00+07:00`);

const upkeepSteps = (now: Date) => [...paymentUpkeepSteps(now), ...outboxUpkeepSteps(now), ...auditUpkeepSteps(now)];

const CREATE = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }`;
async function createEndpoint(url: string, headers?: Record<string, string>): Promise<string> {
  const created = dataOf(
    await api.graphql<{ createWebhookEndpoint: { webhookEndpoint: { id: string } | null } }>(
      CREATE,
      { input: { url, eventTypes: ["PAYMENT_CREATED"] } },
      headers,
    ),
  ).createWebhookEndpoint.webhookEndpoint;
  if (!created) throw new Error(`no endpoint for ${url}`);
  return created.id;
}
async function changeEndpoint(
  change: "pause" | "resume" | "delete",
  id: string,
  headers?: Record<string, string>,
): Promise<void> {
  const field = `${change}WebhookEndpoint`;
  const answer = dataOf(
    await api.graphql<Record<string, { userErrors: unknown[] }>>(
      `mutation ($input: WebhookEndpointIdInput!) { ${field}(input: $input) { userErrors { code } } }`,
      { input: { id } },
      headers,
    ),
  )[field];
  if (answer?.userErrors.length !== 0) throw new Error(`${field} refused: ${JSON.stringify(answer)}`);
}

/** The relay and the queue's consumer, as the Worker runs them; every partner answers 200. */
async function relayAndDeliver(now: Date): Promise<void> {
  const queue = new InProcessQueue<DeliveryMessage>();
  await relayOutbox(api.db, queue, { now });
  await queue.drain((batch) =>
    deliverBatch(
      {
        db: api.db,
        policy: testDeliveryPolicy,
        secretKey: TEST_WEBHOOK_SECRET_KEY,
        now: () => now,
        log: () => {},
        fetch: async () => new Response(null, { status: 200 }),
      },
      batch,
    ),
  );
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe("the partitioned tables' upkeep over years of daily runs", () => {
  it("keeps every table writable, archives the audit log's old months and retires the outbox's old partitions", async () => {
    // Long enough for a month the job made itself to pass the audit log's kept months (p0 goes first).
    const [firstAudit] = (await tables()).parts.audit_log;
    const firstMade = Math.max(utcMonthStart(runAt(0).getTime()), firstAudit?.hi ?? 0);
    const archivedBy = new Date(utcMonthStart(firstMade, auditKeptMonths + 1) + DAY_MS);
    const days = Math.min(
      1000,
      Math.max(400, Math.ceil((archivedBy.getTime() - Date.parse(`${TODAY_DATE}T00:00:00Z`)) / DAY_MS) + 3),
    );
    // The whole daily job on a few WIB month starts (it takes seconds); its upkeep steps alone on the other days.
    const wholeJobDays = new Set<number>();
    for (let day = 1; day < days && wholeJobDays.size < 3; day++) {
      if (/-(01|09)-01$/.test(daysFromToday(day))) wholeJobDays.add(day);
    }
    // Partners: one pauses for 50 days and resumes; one pauses and then deletes its endpoint; one
    // pauses and then has its API key revoked. Deliveries to the last two can never go out.
    const endpointPlan = new Map<number, () => Promise<void>>();
    let steady = "";
    let leaver = "";
    endpointPlan.set(0, async () => {
      steady = await createEndpoint("https://steady.partner.test/hook");
    });
    endpointPlan.set(60, () => changeEndpoint("pause", steady));
    endpointPlan.set(110, () => changeEndpoint("resume", steady));
    endpointPlan.set(150, async () => {
      leaver = await createEndpoint("https://leaver.partner.test/hook");
    });
    endpointPlan.set(160, () => changeEndpoint("pause", leaver));
    endpointPlan.set(175, () => changeEndpoint("delete", leaver));
    let partner: Awaited<ReturnType<typeof givenPartnerKey>> | undefined;
    let partnerEndpoint = "";
    endpointPlan.set(300, async () => {
      partner = await givenPartnerKey(api, ["participants:read"]);
      partnerEndpoint = await createEndpoint("https://revoked.partner.test/hook", partner.headers);
    });
    endpointPlan.set(310, () => changeEndpoint("pause", partnerEndpoint, partner?.headers));
    endpointPlan.set(325, async () => {
      await revokeApiKey(api.db, String(partner?.prefix), api.clock.now().toISOString());
    });
    // A relay outage: events wait unrelayed, and their partitions with them.
    const relayDown = (day: number) => day >= 400 && day < 445;

    // Each kind of problem once, with the first day it showed and on how many days.
    const problems = new Map<string, { first: string; days: Set<number> }>();
    const problem = (day: number, kind: string, detail = "") => {
      const seen = problems.get(kind) ?? { first: `day ${day} (${daysFromToday(day)})${detail}`, days: new Set() };
      seen.days.add(day);
      problems.set(kind, seen);
    };
    const attempt = async (day: number, what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        problem(day, `${what} threw`, `: ${messagesOf(error)}`);
      }
    };

    const ledger = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const dropped: string[] = [];
    const archivedSeen = new Set<string>();
    // The day's partitions after its run are the next day's before it: writes make none.
    let carried: Tables | undefined;

    for (let day = 0; day < days; day++) {
      const now = runAt(day);
      const cutoff = new Date(now.getTime() - EVENT_RETENTION_DAYS * DAY_MS).toISOString();
      const before = carried ?? (await tables());

      // Due for retirement today: the oldest outbox partition once it is behind the newest ids, its
      // events relayed and past the retention, and no delivery PENDING or FAILED to an endpoint that
      // still receives (a deleted endpoint's or a revoked key's never goes out; a paused endpoint's
      // HELD ones are kept for the retention, not beyond).
      let due: string[] = [];
      let keptByGone = 0;
      let newest = 0;
      const [oldest] = before.parts.outbox_events;
      if (oldest) {
        const lo = Number.isFinite(oldest.lo) ? oldest.lo : 0;
        const [state] = await rows<{ newest: string; keeps: number; open: number; gone: number; stray: number }>(sql`
          select (select coalesce(max(id), 0) from outbox_events)::text as newest,
                 (select count(*)::int from audit_log_default) as stray,
                 (select count(*)::int from outbox_events where id >= ${lo} and id < ${oldest.hi}
                    and (relayed_at is null or occurred_at >= ${cutoff}::timestamptz)) as keeps,
                 (select count(*)::int from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
                    left join api_keys k on k.id = e.owner_api_key_id
                    where d.event_id >= ${lo} and d.event_id < ${oldest.hi}
                      and d.status in ('PENDING', 'FAILED') and e.deleted_at is null and k.revoked_at is null) as open,
                 (select count(*)::int from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
                    left join api_keys k on k.id = e.owner_api_key_id
                    where d.event_id >= ${lo} and d.event_id < ${oldest.hi}
                      and d.status in ('PENDING', 'FAILED', 'HELD')
                      and (e.deleted_at is not null or k.revoked_at is not null)) as gone`);
        if (state && oldest.hi <= Number(state.newest) && state.keeps === 0 && state.open === 0) due = [oldest.name];
        keptByGone = state?.gone ?? 0;
        newest = Number(state?.newest ?? 0);
        // Every audit row so far was written where a month partition was ready for it.
        if (state?.stray) problem(day, "audit rows fell into audit_log_default", `: ${state.stray} rows`);
      }
      // Rows per audit partition, to check an archived one went whole (months are archived on a new UTC month).
      const newMonth = day === 0 || utcMonthStart(now.getTime()) !== utcMonthStart(runAt(day - 1).getTime());
      const auditCounts = new Map(
        newMonth
          ? (
              await rows<{ name: string; n: number }>(
                sql`select tableoid::regclass::text as name, count(*)::int as n from audit_log group by 1`,
              )
            ).map((row) => [row.name, row.n])
          : [],
      );

      let report: Record<string, Record<string, unknown>> = {};
      await attempt(day, wholeJobDays.has(day) ? "the daily job" : "the upkeep steps", async () => {
        const steps = wholeJobDays.has(day) ? await dailyJobSteps(api.db, now) : upkeepSteps(now);
        report = await runSteps(api.db, steps, now);
      });
      for (const [step, result] of Object.entries(report)) {
        if ("busy" in result) problem(day, `${step} reported busy`);
      }

      // Outbox: at most one partition a run, the oldest when due, never the one holding the newest ids.
      const retired = report["outbox:partitions-retired"];
      if (retired && !("busy" in retired)) {
        const names = retired.dropped as string[];
        if (JSON.stringify(names) !== JSON.stringify(due)) {
          const why = keptByGone > 0 ? `, holding ${keptByGone} open deliveries to deleted or revoked endpoints` : "";
          problem(
            day,
            due.length > 0
              ? "outbox:partitions-retired kept a partition due for retirement"
              : "outbox:partitions-retired dropped a partition not due",
            `: dropped ${JSON.stringify(names)}, expected ${JSON.stringify(due)}${why}`,
          );
        }
        dropped.push(...names);
      }

      // Payments and outbox: the next id has its partition, and two more are ready ahead.
      const after = await tables();
      carried = after;
      const last = after.taken;
      if (newest > 0 && !after.parts.outbox_events.some((part) => part.lo <= newest && newest < part.hi)) {
        problem(day, "the outbox partition holding the newest event is gone", `: id ${newest}`);
      }
      for (const parent of ["payments", "outbox_events"] as const) {
        const next = Math.floor(last[parent] / width) + 1;
        for (const id of [last[parent] + 1, next * width, (next + 1) * width]) {
          if (!after.parts[parent].some((part) => part.lo <= id && id < part.hi)) {
            problem(day, `${parent} has no partition for the ids ahead`, `: none for id ${id}`);
          }
        }
      }

      // Audit log: this UTC month and the next have partitions; months past the kept ones went to `archive`, whole.
      for (const monthAt of [utcMonthStart(now.getTime()), utcMonthStart(now.getTime(), 1)]) {
        if (!after.parts.audit_log.some((part) => part.lo <= monthAt && monthAt < part.hi)) {
          problem(day, "audit_log has no partition for this or next month", `: ${monthName(monthAt)}`);
        }
      }
      const keptFrom = utcMonthStart(now.getTime(), -auditKeptMonths);
      for (const part of after.parts.audit_log.filter((p) => p.hi <= keptFrom)) {
        problem(day, `a month past the ${auditKeptMonths} kept ones is still in audit_log`, `: ${part.name}`);
      }
      for (const name of after.archived.filter((table) => !archivedSeen.has(table))) {
        archivedSeen.add(name);
        const [moved] = await rows<{ n: number }>(sql`select count(*)::int as n from archive.${sql.identifier(name)}`);
        if (moved?.n !== (auditCounts.get(name) ?? 0)) {
          problem(
            day,
            "an archived partition lost rows",
            `: archive.${name} holds ${moved?.n}, had ${auditCounts.get(name)}`,
          );
        }
      }

      // About monthly the ids cross a 50 M boundary with this day's writes.
      const crossing = day % 30 === 12;
      if (crossing) {
        for (const [parent, sequence] of [
          ["payments", "payments_id_seq"],
          ["outbox_events", "outbox_events_id_seq"],
        ] as const) {
          const target = (Math.floor(last[parent] / width) + 1) * width - 2;
          if (target > last[parent]) await api.db.execute(sql`select setval(${sequence}, ${target})`);
        }
      }
      // The day's writes, each straight into its table (early or late in the day), and now and then a
      // payment through the API (the payment, its event and its audit row).
      for (let i = 0; i < (crossing ? 3 : 1); i++) {
        const wib = (day + i) % 2 === 0 ? "06:59" : "23:59";
        const at = instantOn(day, wib);
        await attempt(day, `a payment at ${wib} WIB`, () =>
          givenSettledPayment(api.db, ledger.id, `${daysFromToday(day).slice(0, 7)}-01`, {
            createdAt: at.toISOString(),
            settledAt: at.toISOString(),
          }),
        );
        await attempt(day, `an event at ${wib} WIB`, () =>
          insertEvents(api.db, [{ type: "sponsorship.budget_low", sponsorId: null, data: { day }, occurredAt: at }]),
        );
        await attempt(day, `an audit row at ${wib} WIB`, () =>
          api.db.execute(sql`insert into audit_log (occurred_at, operation, target_ids, outcome)
                             values (${at.toISOString()}, 'upkeepProbe', '{}', 'SUCCEEDED')`),
        );
      }
      api.setToday(instantOn(day, "11:00").toISOString());
      const plan = endpointPlan.get(day);
      if (plan) await attempt(day, "an endpoint change", plan);
      if (day % 15 === 3 || crossing) {
        await attempt(day, "payContribution", async () => {
          const worker = await givenParticipant(api.db, {
            programs: ["JKK", "JKM"],
            registeredAt: instantOn(day, "09:00").toISOString(),
          });
          await pay(api, worker.id, 1);
        });
      }
      // The relay every third day (each run relays all that waits), none during the outage.
      if (day % 3 === 0 && !relayDown(day)) {
        await attempt(day, "the relay", () => relayAndDeliver(instantOn(day, "12:00")));
      }
    }

    const found = [...problems].map(([kind, { first, days }]) => `${kind} on ${days.size} days, first ${first}`);
    expect(found).toEqual([]);
    expect(days).toBeGreaterThanOrEqual(400);
    expect(wholeJobDays.size).toBeGreaterThan(0);
    // Retention kept up: old partitions went, one a run, oldest first.
    const order = dropped.map((name) => Number(name.replace("outbox_events_p", "")));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(dropped.length).toBeGreaterThan(15);
    // The audit log's first partition and the first month the job made are archived.
    if (firstAudit?.name === "audit_log_p0") expect([...archivedSeen]).toContain("audit_log_p0");
    const made = new Date(firstMade);
    const madeName = `audit_log_y${made.getUTCFullYear()}m${String(made.getUTCMonth() + 1).padStart(2, "0")}`;
    if (runAt(days - 1) >= archivedBy) expect([...archivedSeen]).toContain(madeName);
  }, 300_000);
});
