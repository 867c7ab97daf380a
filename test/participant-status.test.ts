import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { at, dateIn, firstInstantOf, lastDateOf, lastMinuteOf, month, monthKey, TODAY } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";

/** Status is computed against "today" in WIB: one database, seen from several todays. */
const apis: TestApi[] = [];
afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
});

type Row = {
  fullName: string;
  status: string;
  paidThrough: string | null;
  monthsInArrears: number | null;
  nextDueDate: string;
};

let statusApi: TestApi;
beforeAll(async () => {
  statusApi = await startTestApi();
  apis.push(statusApi);
  for (const [fullName, paidThrough] of [
    ["Paid Ahead", month(3)],
    ["Paid This Month", month(0)],
    ["One Behind", month(-1)],
    ["Two Behind", month(-2)],
    ["Three Behind", month(-3)],
    ["Never Paid", null],
  ] as const) {
    await givenParticipant(statusApi.db, { fullName, paidThrough, registeredAt: at(-10, 10) });
  }
});

async function statusesAt(now: string) {
  const api = statusApi;
  api.setToday(now);
  const data = dataOf(
    await api.graphql<{ participants: { nodes: Row[] } }>(
      "{ participants(first: 10, orderBy: REGISTERED_AT_ASC) { nodes { fullName status paidThrough monthsInArrears nextDueDate } } }",
    ),
  );
  const byName = Object.fromEntries(data.participants.nodes.map((n) => [n.fullName, n]));
  const counts: Record<string, number> = {};
  for (const status of ["PENDING", "ACTIVE", "GRACE", "INACTIVE"]) {
    const page = dataOf(
      await api.graphql<{ participants: { totalCount: number } }>(
        `{ participants(first: 1, filter: { status: ${status} }) { totalCount } }`,
      ),
    );
    counts[status] = page.participants.totalCount;
  }
  return { byName, counts };
}

describe("membership status through GraphQL", () => {
  it("follows paidThrough against today's month: active, grace for one or two unpaid months, inactive from three", async () => {
    const { byName, counts } = await statusesAt(TODAY);
    expect(byName["Paid Ahead"]).toMatchObject({ status: "ACTIVE", monthsInArrears: 0, nextDueDate: dateIn(4, 15) });
    expect(byName["Paid This Month"]).toMatchObject({
      status: "ACTIVE",
      monthsInArrears: 0,
      nextDueDate: dateIn(1, 15),
    });
    expect(byName["One Behind"]).toMatchObject({ status: "GRACE", monthsInArrears: 1, nextDueDate: dateIn(0, 15) });
    expect(byName["Two Behind"]).toMatchObject({ status: "GRACE", monthsInArrears: 2 });
    expect(byName["Three Behind"]).toMatchObject({ status: "INACTIVE", monthsInArrears: 3, paidThrough: monthKey(-3) });
    expect(byName["Never Paid"]).toMatchObject({
      status: "PENDING",
      monthsInArrears: null,
      nextDueDate: dateIn(-10, 15),
    });
    expect(counts).toEqual({ PENDING: 1, ACTIVE: 2, GRACE: 2, INACTIVE: 1 });
  });

  it("moves everyone one step at the end of the month in WIB, not UTC", async () => {
    const lastMinute = await statusesAt(lastMinuteOf(0));
    expect(lastMinute.counts).toEqual({ PENDING: 1, ACTIVE: 2, GRACE: 2, INACTIVE: 1 });
    const nextMonth = await statusesAt(firstInstantOf(1));
    expect(nextMonth.byName["Paid This Month"]).toMatchObject({ status: "GRACE", monthsInArrears: 1 });
    expect(nextMonth.byName["Two Behind"]).toMatchObject({ status: "INACTIVE", monthsInArrears: 3 });
    expect(nextMonth.counts).toEqual({ PENDING: 1, ACTIVE: 1, GRACE: 2, INACTIVE: 2 });
  });
});

describe("referralLeaderboard", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    apis.push(api);
    const registrant = async (fullName: string, villageCode: string) =>
      givenParticipant(api.db, { fullName, villageCode, paidThrough: month(0) });
    const ani = await registrant("Ani", "31.71.01.1001");
    const budi = await registrant("Budi", "32.73.01.1001");
    const citra = await registrant("Citra", "31.71.02.1001");
    const refer = (
      registeredById: number,
      paidThrough: string | null,
      villageCode: string,
      registeredAt = at(-5, 10),
    ) => givenParticipant(api.db, { fullName: "Referral", registeredById, paidThrough, villageCode, registeredAt });
    // Ani: 2 of 3 still paying. Budi: 1 of 2. Citra: 0 of 4, although she registered the most.
    await refer(ani.id, month(0), "31.71.01.1001");
    await refer(ani.id, month(1), "31.71.01.1001");
    await refer(ani.id, month(-4), "31.71.01.1001");
    await refer(budi.id, month(0), "32.73.01.1001");
    // A year before the others: outside the registration period below.
    await refer(budi.id, null, "32.73.01.1001", at(-17, 10));
    for (let i = 0; i < 4; i++) await refer(citra.id, month(-5), "31.71.02.1001");
  });

  type Entry = {
    rank: number;
    registrant: { fullName: string };
    activeReferrals: number;
    registeredReferrals: number;
    activeShare: number;
  };
  const QUERY = `query ($regionCode: String, $period: DateRange) {
    referralLeaderboard(regionCode: $regionCode, period: $period, first: 10) {
      rank registrant { fullName } activeReferrals registeredReferrals activeShare
    }
  }`;
  const board = async (variables: Record<string, unknown>, headers?: Record<string, string>) =>
    dataOf(await api.graphql<{ referralLeaderboard: Entry[] }>(QUERY, variables, headers)).referralLeaderboard.map(
      (e) => `${e.rank}. ${e.registrant.fullName} ${e.activeReferrals}/${e.registeredReferrals}`,
    );

  it("ranks registrants by referrals still paying, not by sign-ups", async () => {
    expect(await board({})).toEqual(["1. Ani 2/3", "2. Budi 1/2", "3. Citra 0/4"]);
    const [first] = dataOf(await api.graphql<{ referralLeaderboard: Entry[] }>(QUERY, {})).referralLeaderboard;
    expect(first?.activeShare).toBeCloseTo(2 / 3);
  });

  it("narrows to a region and a registration period", async () => {
    expect(await board({ regionCode: "31" })).toEqual(["1. Ani 2/3", "2. Citra 0/4"]);
    // Twelve months around the referrals registered five months ago, not Budi's a year before them.
    expect(await board({ period: { from: month(-10), to: lastDateOf(1) } })).toEqual([
      "1. Ani 2/3",
      "2. Budi 1/1",
      "3. Citra 0/4",
    ]);
    const bad = await api.graphql(QUERY, { period: { from: lastDateOf(1), to: month(-10) } });
    expect(bad.errors?.[0]?.message).toMatch(/period.from must not be after period.to/);
  });

  it("counts only what the caller may see", async () => {
    expect(await board({}, await bearer({ role: "OFFICER", region: "32" }))).toEqual(["1. Budi 1/2"]);
  });
});
