import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditUpkeepSteps } from "../src/modules/audit/service";
import { auditKeptMonths } from "../src/modules/audit/tables";
import { startTestApi, type TestApi } from "./testkit/api";
import { givenParticipant } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";
import { pay } from "./testkit/payments";

/**
 * The audit log is partitioned by month (#33 item 3): a month's rows are one partition, made by
 * the daily job (rows written before it exist wait in the default partition and move in), a
 * query for a period reads only its months, and months past the kept ones leave for the
 * `archive` schema, whole.
 */
let api: TestApi;

type Rows<T> = { rows: T[] };
async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await api.db.execute(query)) as unknown as Rows<T>).rows;
}

/** The first month the table as it was (audit_log_p0) does not hold, as the migration bounded it. */
async function firstUnheldMonth(): Promise<Date> {
  const [row] = await rows<{ bound: string }>(
    sql`select substring(pg_get_expr(relpartbound, oid) from 'TO \\(''([^'']+)')::timestamptz::text as bound
        from pg_class where oid = 'audit_log_p0'::regclass`,
  );
  return new Date(String(row?.bound));
}

const monthsAfter = (start: Date, months: number, days = 0) =>
  new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, 1 + days));
const partitionName = (at: Date) =>
  `audit_log_y${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, "0")}`;

async function keepPartitions(now: Date) {
  return (await runSteps(api.db, auditUpkeepSteps(now), now))["audit:partitions"] as {
    created: string[];
    archived: string[];
  };
}

async function auditRowsOf(paymentGid: string) {
  const paymentId = Buffer.from(paymentGid, "base64").toString().split(":")[1];
  return rows<{ partition: string; operation: string }>(
    sql`select tableoid::regclass::text as partition, operation from audit_log
        where ${`payment:${paymentId}`} = any(target_ids)`,
  );
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe("the audit log partitioned by month", () => {
  it("keeps a row written before its month's partition, then moves it in when the job makes it", async () => {
    const first = await firstUnheldMonth();
    const writtenAt = monthsAfter(first, 0, 9);
    api.setToday(writtenAt.toISOString());
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = await pay(api, worker.id, 1);
    expect(await auditRowsOf(payment.id)).toEqual([{ partition: "audit_log_default", operation: "payContribution" }]);

    const upkeep = await keepPartitions(writtenAt);
    expect(upkeep).toEqual({ created: [partitionName(first), partitionName(monthsAfter(first, 1))], archived: [] });
    expect(await auditRowsOf(payment.id)).toEqual([{ partition: partitionName(first), operation: "payContribution" }]);
    // Run again: nothing to make.
    expect(await keepPartitions(new Date(writtenAt.getTime() + 3_600_000))).toEqual({ created: [], archived: [] });
  });

  it("reads a period from its months' partitions only", async () => {
    const first = await firstUnheldMonth();
    const plan = JSON.stringify(
      await rows(
        sql`explain (format json) select * from audit_log
            where occurred_at >= ${first.toISOString()}::timestamptz and occurred_at < ${monthsAfter(first, 1).toISOString()}::timestamptz`,
      ),
    );
    expect(plan).toContain(partitionName(first));
    expect(plan).not.toContain("audit_log_p0");
    expect(plan).not.toContain("audit_log_default");
    expect(plan).not.toContain(partitionName(monthsAfter(first, 1)));
  });

  it(`archives months older than ${auditKeptMonths}, whole, and keeps writing`, async () => {
    const first = await firstUnheldMonth();
    const [kept] = await rows<{ rows: number }>(
      sql`select count(*)::int as rows from ${sql.raw(partitionName(first))}`,
    );
    const later = monthsAfter(first, auditKeptMonths + 1, 4);
    const upkeep = await keepPartitions(later);
    expect(upkeep.archived).toEqual(expect.arrayContaining(["audit_log_p0", partitionName(first)]));
    expect(upkeep.archived).not.toContain(partitionName(monthsAfter(first, 1)));
    expect(upkeep.created).toEqual([partitionName(later), partitionName(monthsAfter(later, 1))]);
    const [archived] = await rows<{ rows: number }>(
      sql`select count(*)::int as rows from archive.${sql.raw(partitionName(first))}`,
    );
    expect(archived?.rows).toBe(kept?.rows);
    const [left] = await rows<{ rows: number }>(
      sql`select count(*)::int as rows from audit_log where occurred_at < ${monthsAfter(first, 1).toISOString()}::timestamptz`,
    );
    expect(left?.rows).toBe(0);

    api.setToday(later.toISOString());
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = await pay(api, worker.id, 1);
    expect(await auditRowsOf(payment.id)).toEqual([{ partition: partitionName(later), operation: "payContribution" }]);
  });
});
