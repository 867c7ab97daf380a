import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { participants } from "../src/db/tables";
import { foldLapsedRollups, verifyRollups } from "../src/modules/dashboard/service";
import { monthNumber, monthStart } from "../src/shared/calendar";
import { dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { givenParticipant } from "./testkit/fixtures";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const DASHBOARD = `{ coverageDashboard(regionCode: "35") { registered pending active grace inactive
  byEcosystem { key registered active grace inactive } } }`;

/** Rollup rows the province's dashboard scans (its regencies' rows). */
async function scannedRows(): Promise<number> {
  const result = await api.db.execute(sql`select count(*)::int as n from coverage_rollups where parent_code = '35'`);
  return Number((result as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
}

describe("coverage rollups fold long-lapsed months", () => {
  it("keep the dashboard's scan flat over five simulated years, with the same figures and no drift", async () => {
    // Five years of workers in one regency, one lapsing each month: 60 paid-through months.
    const now = new Date(TODAY);
    const last = monthNumber(TODAY.slice(0, 10)) - 1;
    for (let month = last - 59; month <= last; month += 1) {
      await givenParticipant(api.db, {
        villageCode: "35.78.01.1001",
        paidThrough: monthStart(month),
        fullName: `Lapse ${month}`,
      });
    }
    const before = dataOf(await api.graphql(DASHBOARD));
    expect(await scannedRows()).toBe(60);

    // Month-end runs over those years: the horizon moves forward, the scan never grows past it.
    const counts: number[] = [];
    for (let month = last - 59; month <= last + 1; month += 6) {
      await foldLapsedRollups(api.db, new Date(`${monthStart(month)}T03:00:00Z`));
      counts.push(await scannedRows());
    }
    await foldLapsedRollups(api.db, now);
    // 12 months past protection stopping, plus the 3 of grace and this one: 15 months, and one folded bucket.
    expect(await scannedRows()).toBe(16);
    expect(Math.max(...counts)).toBeLessThanOrEqual(60);
    expect(dataOf(await api.graphql(DASHBOARD))).toEqual(before);
    expect(Object.values(await verifyRollups(api.db, { repair: false })).every((r) => r.drift === 0)).toBe(true);
  });

  it("stay exact when a worker in the folded bucket pays again, and when an old record arrives", async () => {
    const [oldest] = await api.db
      .select({ id: participants.id })
      .from(participants)
      .where(sql`${participants.paidThrough} < '2025-01-01'`)
      .limit(1);
    await api.db
      .update(participants)
      .set({ paidThrough: "2026-11-01" })
      .where(sql`${participants.id} = ${oldest?.id ?? 0}`);
    await givenParticipant(api.db, { villageCode: "35.78.01.1001", paidThrough: "2019-03-01", fullName: "Very Old" });
    expect(Object.values(await verifyRollups(api.db, { repair: false })).every((r) => r.drift === 0)).toBe(true);
    const folded = await api.db.execute(
      sql`select paid_through::text as paid_through from coverage_rollups where parent_code = '35' and paid_through < '2025-01-01'`,
    );
    expect((folded as unknown as { rows: { paid_through: string }[] }).rows).toEqual([{ paid_through: "0001-01-01" }]);
  });
});
