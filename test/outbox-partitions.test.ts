import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxUpkeepSteps } from "../src/modules/events/schedule";
import { insertEvents } from "../src/modules/outbox/outbox";
import { EVENT_RETENTION_DAYS } from "../src/modules/outbox/tables";
import { startTestApi, type TestApi } from "./testkit/api";
import { daysFromToday } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";
import { pay } from "./testkit/payments";

/**
 * The outbox is partitioned by ranges of id, 50 M each (#33 item 3): events are written on both
 * sides of a boundary, an event with a dedupe key is written once while its key is held, and the
 * daily job drops a partition whose events are all past the retention, relayed and delivered,
 * with its deliveries, and keeps one that is not.
 */
let api: TestApi;
const width = 50_000_000;

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await api.db.execute(query)) as unknown as { rows: T[] }).rows;
}
const partitions = async () =>
  (
    await rows<{ relname: string }>(
      sql`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'outbox_events'::regclass order by c.relname`,
    )
  ).map((row) => row.relname);

const upkeep = (now: Date) => runSteps(api.db, outboxUpkeepSteps(now), now);

/** A delivery of an event to a test endpoint, in the given state. */
async function delivered(eventId: number, status: "DELIVERED" | "PENDING") {
  const [endpoint] = await rows<{ id: number }>(sql`
    insert into webhook_endpoints (url, event_types, owner_subject, owner_role, owner_scopes, secret, created_at)
    values ('https://partner.test/hook', '{payment.created}', 'admin', 'ADMIN', '{}', 'sealed', now()) returning id`);
  await api.db.execute(sql`
    insert into webhook_deliveries (endpoint_id, event_id, event_type, status, created_at)
    values (${endpoint?.id}, ${eventId}, 'payment.created', ${status}, now())`);
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe("the outbox partitioned by id range", () => {
  it("writes events on both sides of a partition boundary", async () => {
    expect(await partitions()).toEqual(["outbox_events_p0", "outbox_events_p1", "outbox_events_p2"]);
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    await pay(api, worker.id, 1);
    await api.db.execute(sql`select setval('outbox_events_id_seq', ${width - 1})`);
    await pay(api, worker.id, 1);
    await pay(api, worker.id, 1);
    const placed = await rows<{ partition: string }>(
      sql`select tableoid::regclass::text as partition from outbox_events
          where participant_id = ${worker.id} and type = 'payment.created' order by id`,
    );
    expect(placed.map((row) => row.partition)).toEqual(["outbox_events_p0", "outbox_events_p1", "outbox_events_p1"]);
  });

  it("writes an event with a dedupe key once while the key is held, and again after", async () => {
    const event = {
      type: "sponsorship.budget_low" as const,
      sponsorId: null,
      data: { test: true },
      dedupeKey: "test.once:1",
      occurredAt: new Date(api.clock.now()),
    };
    await insertEvents(api.db, [event, event]);
    await insertEvents(api.db, [event]);
    const count = async () =>
      (await rows<{ n: number }>(sql`select count(*)::int as n from outbox_events where dedupe_key = 'test.once:1'`))[0]
        ?.n;
    expect(await count()).toBe(1);
    const later = new Date(daysFromToday(EVENT_RETENTION_DAYS + 1));
    expect((await upkeep(later))["outbox:keys-forgotten"]).toMatchObject({ forgotten: expect.any(Number) });
    await insertEvents(api.db, [{ ...event, occurredAt: later }]);
    expect(await count()).toBe(2);
  });

  it("keeps a partition with an event unrelayed or a delivery open, and drops it with its deliveries once done", async () => {
    const [first] = await rows<{ id: number }>(sql`select min(id)::int as id from outbox_events_p0`);
    const firstId = Number(first?.id);
    await delivered(firstId, "PENDING");
    // The newest event in p2, so p0 (up to 50000000) and p1 (up to 100000000) are both behind it:
    // the oldest is the lower bound as a number, not as text, where "100000000" sorts first.
    await api.db.execute(sql`select setval('outbox_events_id_seq', ${2 * width - 1})`);
    await pay(api, (await givenParticipant(api.db, { programs: ["JKK", "JKM"] })).id, 1);
    const later = new Date(daysFromToday(EVENT_RETENTION_DAYS + 2));

    // Unrelayed events keep it.
    await api.db.execute(sql`update outbox_events set relayed_at = null where id = ${firstId}`);
    expect((await upkeep(later))["outbox:partitions-retired"]).toEqual({ dropped: [] });
    // Relayed, but a delivery is still open: kept.
    await api.db.execute(sql`update outbox_events set relayed_at = occurred_at where id < ${width}`);
    expect((await upkeep(later))["outbox:partitions-retired"]).toEqual({ dropped: [] });
    // Delivered: p0 goes whole, with its deliveries; p1 holds the newest ids and stays.
    await api.db.execute(sql`update webhook_deliveries set status = 'DELIVERED' where event_id = ${firstId}`);
    // Not yet past the retention: kept.
    expect((await upkeep(new Date(daysFromToday(1))))["outbox:partitions-retired"]).toEqual({ dropped: [] });
    expect((await upkeep(later))["outbox:partitions-retired"]).toEqual({ dropped: ["outbox_events_p0"] });
    // Two partitions are kept ahead of p2's newest ids.
    expect(await partitions()).toEqual([
      "outbox_events_p1",
      "outbox_events_p2",
      "outbox_events_p3",
      "outbox_events_p4",
    ]);
    expect(await rows(sql`select id from webhook_deliveries where event_id = ${firstId}`)).toEqual([]);
  });

  it("drops one partition a run, oldest first, and never the one holding the newest ids", async () => {
    // Past the retention of the event the dedupe test wrote into p1 a retention ahead.
    const later = new Date(daysFromToday(2 * EVENT_RETENTION_DAYS + 2));
    await api.db.execute(sql`update outbox_events set relayed_at = occurred_at where relayed_at is null`);
    expect((await upkeep(later))["outbox:partitions-retired"]).toEqual({ dropped: ["outbox_events_p1"] });
    expect((await upkeep(later))["outbox:partitions-retired"]).toEqual({ dropped: [] });
    // With its first partition gone, partitions are still made ahead of the ids taken.
    await api.db.execute(sql`select setval('outbox_events_id_seq', ${3 * width})`);
    expect((await upkeep(later))["outbox:partitions-ahead"]).toEqual({ created: ["outbox_events_p5"] });
    expect(await partitions()).toEqual([
      "outbox_events_p2",
      "outbox_events_p3",
      "outbox_events_p4",
      "outbox_events_p5",
    ]);
  });
});
