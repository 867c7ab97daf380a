import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { participants } from "../src/db/tables";
import { foldLapsedRollups, verifyRollups } from "../src/modules/dashboard/service";
import { dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, month } from "./testkit/dates";
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

/** A month well inside the folded bucket (the fold keeps the last 15 months apart). */
const FOLDED_BEFORE = month(-22);

describe("coverage rollups fold long-lapsed months", () => {
  it("keep the dashboard's scan flat over five simulated years, with the same figures and no drift", async () => {
    // Five years of workers in one regency, one lapsing each month: 60 paid-through months, the
    // last one last month (offsets in months from TODAY's WIB month).
    const now = new Date(TODAY);
    for (let offset = -60; offset <= -1; offset += 1) {
      await givenParticipant(api.db, {
        villageCode: "35.78.01.1001",
        paidThrough: month(offset),
        fullName: `Lapse ${month(offset)}`,
      });
    }
    const before = dataOf(await api.graphql(DASHBOARD));
    expect(await scannedRows()).toBe(60);

    // Month-end runs over those years: the horizon moves forward, the scan never grows past it.
    const counts: number[] = [];
    for (let offset = -60; offset <= 0; offset += 6) {
      await foldLapsedRollups(api.db, new Date(at(offset, 1)));
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
      .where(sql`${participants.paidThrough} < ${FOLDED_BEFORE}`)
      .limit(1);
    await api.db
      .update(participants)
      .set({ paidThrough: month(0) })
      .where(sql`${participants.id} = ${oldest?.id ?? 0}`);
    await givenParticipant(api.db, { villageCode: "35.78.01.1001", paidThrough: month(-92), fullName: "Very Old" });
    expect(Object.values(await verifyRollups(api.db, { repair: false })).every((r) => r.drift === 0)).toBe(true);
    const folded = await api.db.execute(
      sql`select paid_through::text as paid_through from coverage_rollups where parent_code = '35' and paid_through < ${FOLDED_BEFORE}`,
    );
    expect((folded as unknown as { rows: { paid_through: string }[] }).rows).toEqual([{ paid_through: "0001-01-01" }]);
  });
});
