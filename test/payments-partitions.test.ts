import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyJobSteps } from "../src/daily-job";
import { paymentKeyDays } from "../src/modules/payments/tables";
import { dataOf, startTestApi, type TestApi } from "./testkit/api";
import { daysFromToday } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";
import { gid, newKey, notify, type PaymentView, viewParticipant } from "./testkit/payments";

/**
 * payments is partitioned by ranges of id, 50 M each (#33 item 3): payments on both sides of a
 * partition boundary are paid, settled, replayed and refunded through the API like any other; the
 * daily job keeps partitions ahead of the ids and forgets keys past the days they are honoured;
 * a payment read by id touches one partition.
 */
let api: TestApi;
const width = 50_000_000;
const fromGid = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);

const PAY = `mutation ($input: PayContributionInput!) {
  payContribution(input: $input) {
    payment { id status amount months coverageFrom coverageThrough refundedAmount refundedAt }
    userErrors { field code message }
  }
}`;
async function payWithKey(participantId: number, key: string, months = 1) {
  return dataOf(
    await api.graphql<{ payContribution: { payment: PaymentView | null; userErrors: { code: string }[] } }>(PAY, {
      input: { participantId: gid("Participant", participantId), months, channel: "BRIVA", idempotencyKey: key },
    }),
  ).payContribution;
}

async function partitionOf(paymentId: number): Promise<string> {
  const result = await api.db.execute(
    sql`select tableoid::regclass::text as partition from payments where id = ${paymentId}`,
  );
  return String((result as unknown as { rows: { partition: string }[] }).rows[0]?.partition);
}

async function partitions(): Promise<string[]> {
  const result = await api.db.execute(
    sql`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'payments'::regclass order by c.relname`,
  );
  return (result as unknown as { rows: { relname: string }[] }).rows.map((row) => row.relname);
}

/** The payments' steps of the daily job, run at `now`. */
async function runDailyJob(now: Date) {
  return runSteps(
    api.db,
    (await dailyJobSteps(api.db, now)).filter((step) => step.name.startsWith("payments:")),
    now,
  );
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe("payments partitioned by id range", () => {
  it("starts with the table as it was (p0) and two empty partitions ahead", async () => {
    expect(await partitions()).toEqual(["payments_p0", "payments_p1", "payments_p2"]);
  });

  it("pays, replays and settles payments on both sides of a partition boundary", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    await api.db.execute(sql`select setval('payments_id_seq', ${width - 2})`);
    const keys = [newKey(), newKey(), newKey()];
    const paid: PaymentView[] = [];
    for (const key of keys) {
      const { payment, userErrors } = await payWithKey(worker.id, key);
      expect(userErrors).toEqual([]);
      paid.push(payment as PaymentView);
    }
    const ids = paid.map((payment) => fromGid(payment.id));
    expect(ids).toEqual([width - 1, width, width + 1]);
    expect(await Promise.all(ids.map(partitionOf))).toEqual(["payments_p0", "payments_p1", "payments_p1"]);

    // A retry with the same key, in either partition, answers with the key's payment.
    for (const [i, key] of keys.entries()) {
      const replay = await payWithKey(worker.id, key);
      expect(replay.payment?.id).toBe(paid[i]?.id);
    }
    // Settled in order, across the boundary: three consecutive months, one per payment.
    for (const payment of paid) {
      const settled = await notify(api, {
        reference: `PART-${newKey()}`,
        paymentId: payment.id,
        status: "SETTLED",
        amount: payment.amount,
      });
      expect(settled.status).toBe(200);
    }
    const view = await viewParticipant(api, worker.id);
    expect(view.payments.nodes.map((node) => node.status)).toEqual(["SETTLED", "SETTLED", "SETTLED"]);
    const months = await api.db.execute(
      sql`select payment_id from covered_months where participant_id = ${worker.id} order by month`,
    );
    expect(
      (months as unknown as { rows: { payment_id: string | number }[] }).rows.map((row) => Number(row.payment_id)),
    ).toEqual(ids);
  });

  it("refuses a covered month pointing at no payment, whichever partition", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    await expect(
      api.db.execute(
        sql`insert into covered_months (participant_id, month, payment_id) values (${worker.id}, '2020-01-01', ${width + 999})`,
      ),
    ).rejects.toThrow();
  });

  it("keeps two partitions ahead of the ids taken (the daily job)", async () => {
    const run = await runDailyJob(api.clock.now());
    expect(run["payments:partitions-ahead"]).toEqual({ created: ["payments_p3"] });
    expect(await partitions()).toEqual(["payments_p0", "payments_p1", "payments_p2", "payments_p3"]);
    // Run again: nothing more to create.
    expect((await runDailyJob(api.clock.now()))["payments:partitions-ahead"]).toEqual({ created: [] });
  });

  it("reads a payment by id from its one partition", async () => {
    const result = await api.db.execute(sql`explain (format json) select * from payments where id = ${width + 1}`);
    const plan = JSON.stringify((result as unknown as { rows: Record<string, unknown>[] }).rows[0]);
    expect(plan).toContain("payments_p1");
    expect(plan).not.toContain("payments_p0");
    expect(plan).not.toContain("payments_p2");
  });

  it(`honours a key for ${paymentKeyDays} days, then forgets it`, async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const key = newKey();
    const first = (await payWithKey(worker.id, key)).payment as PaymentView;
    await runDailyJob(new Date(daysFromToday(paymentKeyDays - 1)));
    expect((await payWithKey(worker.id, key)).payment?.id).toBe(first.id);

    await runDailyJob(new Date(daysFromToday(paymentKeyDays + 1)));
    const later = await payWithKey(worker.id, key);
    expect(later.userErrors).toEqual([]);
    expect(later.payment?.id).not.toBe(first.id);
  });

  it.skipIf(process.env.TEST_DATABASE !== "postgres")(
    "waits only a moment for a table a long reader holds, then leaves its partitions for the next run",
    async () => {
      // Ids reach the last partition: two more are due.
      await api.db.execute(sql`select setval(pg_get_serial_sequence('payments', 'id'), ${3 * width + 1})`);
      const reader = new pg.Client({ connectionString: String(api.env.DATABASE_URL) });
      await reader.connect();
      try {
        // A long report's transaction, still open: its lock on payments outlasts the wait.
        await reader.query("begin");
        await reader.query("select count(*) from payments");
        const run = await runDailyJob(api.clock.now());
        expect(run["payments:partitions-ahead"]).toEqual({ busy: expect.stringContaining("next run") });
        // The run went on past it, and nothing was made.
        expect(run["payments:keys-forgotten"]).toBeDefined();
        expect(await partitions()).not.toContain("payments_p4");
      } finally {
        await reader.query("rollback");
        await reader.end();
      }
      expect((await runDailyJob(api.clock.now()))["payments:partitions-ahead"]).toEqual({
        created: ["payments_p4", "payments_p5"],
      });
    },
  );
});
