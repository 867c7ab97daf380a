import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backfillCoverageHistory, closeCoverageMonth, dailyRollupStepsFor } from "../src/modules/dashboard/service";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { at, month, monthKey, year } from "./testkit/dates";
import { givenCoverage, givenParticipant } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";
import { gid } from "./testkit/payments";

/**
 * Monthly history (#32 items 1 and 2): a closed month's figures are kept, late corrections become
 * revisions, and the growth line reads them with each year's target.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const HISTORY = `query ($from: Month!, $to: Month!, $regionCode: String, $ecosystem: EcosystemCode, $channel: String) {
  coverageHistory(from: $from, to: $to, regionCode: $regionCode, ecosystem: $ecosystem, channel: $channel) {
    month registered active target targetSource gapToTarget revision reconstructed
  }
}`;
type History = {
  coverageHistory: {
    month: string;
    registered: number | null;
    active: number | null;
    target: number | null;
    targetSource: string | null;
    gapToTarget: number | null;
    revision: number | null;
    reconstructed: boolean | null;
  }[];
};
const history = async (variables: Record<string, unknown>, headers?: Record<string, string>) =>
  dataOf(await api.graphql<History>(HISTORY, variables, headers)).coverageHistory;

/** What a recount of a closed month says today, for one region: the figures history must equal. */
async function recount(monthFirst: string, regencyCode: string) {
  const result = (await api.db.execute(sql`
    select count(*)::int as registered,
      (count(*) filter (where exists (select 1 from covered_months c where c.participant_id = p.id and c.month = ${monthFirst}::date)))::int as active
    from participants p
    where left(p.village_code, 5) = ${regencyCode}
      and p.registered_at < ((${monthFirst}::date + interval '1 month')::timestamp at time zone 'Asia/Jakarta')
      and (p.exited_on is null or p.exited_on >= (${monthFirst}::date + interval '1 month')::date)`)) as unknown as {
    rows: { registered: number; active: number }[];
  };
  return result.rows[0];
}

describe("closing a month", () => {
  it("keeps its figures per scope, equal to a recount, and a late exit as a revision", async () => {
    const region = { villageCode: "32.73.01.1001" }; // Bandung: this test's own regency
    const early = await givenParticipant(api.db, { ...region, registeredAt: at(-4, 3), channel: "NYALAKAN" });
    const lapsed = await givenParticipant(api.db, { ...region, registeredAt: at(-4, 5) });
    await givenParticipant(api.db, { ...region, registeredAt: at(0, 1) }); // after the month: not counted
    await givenCoverage(api.db, early.id, [month(-2), month(-1), month(0)]);
    await givenCoverage(api.db, lapsed.id, [month(-2)]);

    await closeCoverageMonth(api.db, month(-1), api.clock.now());
    const [closed] = await history({ from: monthKey(-1), to: monthKey(-1), regionCode: "32.73" });
    expect(closed).toMatchObject({ month: monthKey(-1), registered: 2, active: 1, revision: 1, reconstructed: false });
    expect(await recount(month(-1), "32.73")).toEqual({ registered: 2, active: 1 });
    const [byChannel] = await history({ from: monthKey(-1), to: monthKey(-1), channel: "NYALAKAN" });
    expect(byChannel?.registered).toBeGreaterThanOrEqual(1);

    // Closing again changes nothing when nothing changed.
    expect(await closeCoverageMonth(api.db, month(-1), api.clock.now())).toBe(0);

    // A death recorded late, dated in month -2: months -1 and 0 are refunded and the person did
    // not count by month -1's end after all. The month closed again keeps revision 1 and adds 2.
    const EXIT = `mutation ($input: RecordExitInput!) { recordExit(input: $input) { userErrors { code } } }`;
    const exit = dataOf(
      await api.graphql<{ recordExit: { userErrors: unknown[] } }>(EXIT, {
        input: { participantId: gid("Participant", early.id), reason: "DEATH", effectiveOn: `${monthKey(-2)}-20` },
      }),
    ).recordExit;
    expect(exit.userErrors).toEqual([]);
    expect(await closeCoverageMonth(api.db, month(-1), api.clock.now())).toBeGreaterThan(0);
    const [revised] = await history({ from: monthKey(-1), to: monthKey(-1), regionCode: "32.73" });
    expect(revised).toMatchObject({ registered: 1, active: 0, revision: 2 });
    expect(await recount(month(-1), "32.73")).toEqual({ registered: 1, active: 0 });
    const revisions = (await api.db.execute(
      sql`select revision, registered, active from coverage_history where scope = 'REGENCY' and scope_key = '32.73' and month = ${month(-1)}::date order by revision`,
    )) as unknown as { rows: { revision: number; registered: string; active: string }[] };
    expect(revisions.rows.map((row) => [row.revision, Number(row.registered), Number(row.active)])).toEqual([
      [1, 2, 1],
      [2, 1, 0],
    ]);
  });

  it("is the same counted province by province (the daily job) as in one pass", async () => {
    // Participants in three provinces, some covered in month -3.
    for (const villageCode of ["31.71.01.1001", "32.73.01.1001", "33.74.01.1001"]) {
      const worker = await givenParticipant(api.db, { villageCode, registeredAt: at(-5, 2), channel: "JMO" });
      await givenCoverage(api.db, worker.id, [month(-3)]);
      await givenParticipant(api.db, { villageCode, registeredAt: at(-4, 2) });
    }
    const latest = async () =>
      (
        (await api.db.execute(sql`
          select distinct on (scope, scope_key) scope, scope_key, registered::int, active::int from coverage_history
          where month = ${month(-3)}::date order by scope, scope_key, revision desc`)) as unknown as {
          rows: { scope: string; scope_key: string; registered: number; active: number }[];
        }
      ).rows;
    const closeSteps = (await dailyRollupStepsFor(api.db, api.clock.now())).filter((step) =>
      step.name.startsWith(`close:${monthKey(-3)}`),
    );
    expect(closeSteps.length).toBeGreaterThan(30); // one per province, then the sum
    expect(closeSteps.at(-1)?.name).toBe(`close:${monthKey(-3)}`);
    const steps = await runSteps(api.db, closeSteps, api.clock.now());
    expect(steps[`close:${monthKey(-3)}:33`]).toMatchObject({ partRows: expect.any(Number) });
    const byProvince = await latest();
    expect(byProvince.find((row) => row.scope === "NATIONAL")).toMatchObject({ active: expect.any(Number) });
    // The one-pass close of the same month finds nothing to revise.
    expect(await closeCoverageMonth(api.db, month(-3), api.clock.now())).toBe(0);
    expect(await latest()).toEqual(byProvince);
  });

  it("refuses a month that has not ended", async () => {
    await expect(closeCoverageMonth(api.db, month(0), api.clock.now())).rejects.toThrow("has not ended");
  });
});

describe("the growth line", () => {
  it("carries each year's target and the gap, and leaves months not kept empty", async () => {
    const SET = `mutation ($input: SetCoverageTargetInput!) { setCoverageTarget(input: $input) { year userErrors { field code } } }`;
    const source = "Rencana jangka panjang 2021-2026";
    const set = dataOf(
      await api.graphql<{ setCoverageTarget: { userErrors: unknown[] } }>(SET, {
        input: { year: year(0), activeTarget: 70_000_000, source },
      }),
    ).setCoverageTarget;
    expect(set.userErrors).toEqual([]);
    const tooLong = dataOf(
      await api.graphql<{ setCoverageTarget: { userErrors: { field: string[] }[] } }>(SET, {
        input: { year: year(0), activeTarget: 1, source: "x".repeat(301) },
      }),
    ).setCoverageTarget;
    expect(tooLong.userErrors).toMatchObject([{ field: ["input", "source"] }]);
    await closeCoverageMonth(api.db, month(-3), api.clock.now());
    const line = await history({ from: monthKey(-3), to: monthKey(-1) });
    const closed = line.find((m) => m.month === monthKey(-3));
    expect(closed?.registered).not.toBeNull();
    if (monthKey(-3).startsWith(String(year(0)))) {
      expect(closed?.target).toBe(70_000_000);
      expect(closed?.targetSource).toBe("Rencana jangka panjang 2021-2026");
      expect(closed?.gapToTarget).toBe(70_000_000 - (closed?.active ?? 0));
    }
    expect(line.map((m) => m.month)).toEqual([monthKey(-3), monthKey(-2), monthKey(-1)]);
  });

  it("reconstructs the months before history was kept, once", async () => {
    const first = await backfillCoverageHistory(api.db, api.clock.now());
    expect(first).toBeGreaterThan(0);
    expect(await backfillCoverageHistory(api.db, api.clock.now())).toBe(0);
    const [reconstructed] = await history({ from: monthKey(-4), to: monthKey(-4) });
    expect(reconstructed?.reconstructed).toBe(true);
  });

  it.each([
    ["a range over 60 months", { from: monthKey(-61), to: monthKey(-1) }],
    ["to before from", { from: monthKey(-1), to: monthKey(-2) }],
    ["a month that has not ended", { from: monthKey(-1), to: monthKey(0) }],
    ["two scopes at once", { from: monthKey(-1), to: monthKey(-1), regionCode: "32", ecosystem: "MARKET" }],
  ])("refuses %s with a clear error", async (_case, variables) => {
    const refused = await api.graphql(HISTORY, variables);
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(refused.errors?.[0]?.message).not.toBe("");
  });

  it("is an officer's for their own region only", async () => {
    const officer = await bearer({ role: "OFFICER", region: "32.73" });
    expect(await history({ from: monthKey(-1), to: monthKey(-1) }, officer)).toMatchObject([{ month: monthKey(-1) }]);
    const elsewhere = await api.graphql(HISTORY, { from: monthKey(-1), to: monthKey(-1), regionCode: "31" }, officer);
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const national = await api.graphql(HISTORY, { from: monthKey(-1), to: monthKey(-1), ecosystem: "MARKET" }, officer);
    expect(national.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("the growth line as a spreadsheet", () => {
  const csv = async (query: string, headers: Record<string, string> = {}) => {
    const response = await api.request(`/reports/coverage-history.csv?${query}`, {
      headers: { ...(await bearer({ role: "ADMIN" })), ...headers },
    });
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  };

  it("is the same series, ;-separated by default, with Indonesian numbers on request", async () => {
    await closeCoverageMonth(api.db, month(-2), api.clock.now());
    const line = await history({ from: monthKey(-2), to: monthKey(-2) });
    const plain = await csv(`from=${monthKey(-2)}&to=${monthKey(-2)}`);
    expect(plain.status).toBe(200);
    expect(plain.type).toContain("text/csv");
    const [header, row] = plain.text.replace("\uFEFF", "").trim().split("\r\n");
    expect(header).toBe("month;registered;active;target;gapToTarget;targetSource;revision;reconstructed");
    expect(row?.split(";").slice(0, 3)).toEqual([monthKey(-2), String(line[0]?.registered), String(line[0]?.active)]);
    const indonesian = await csv(`from=${monthKey(-2)}&to=${monthKey(-2)}&numbers=id&separator=,`);
    expect(indonesian.text).toContain(monthKey(-2));
  });

  it("refuses what the query refuses, and callers the dashboard refuses", async () => {
    expect((await csv(`from=${monthKey(-1)}&to=${monthKey(0)}`)).status).toBe(400);
    expect((await csv(`from=${monthKey(-1)}&to=${monthKey(-1)}&separator=|`)).status).toBe(400);
    expect((await csv(`from=bad&to=${monthKey(-1)}`)).status).toBe(400);
    const sponsor = await api.request(`/reports/coverage-history.csv?from=${monthKey(-1)}&to=${monthKey(-1)}`, {
      headers: await bearer({ role: "SPONSOR", sponsorId: 1 }),
    });
    expect(sponsor.status).toBe(403);
  });
});
