import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyRollupStepsFor, verifyRollups } from "../src/modules/dashboard/service";
import { regionCodesAt } from "../src/modules/regions/service";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, month, monthKey } from "./testkit/dates";
import { givenCoverage, givenParticipant, givenSponsor } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";

// Months relative to TODAY's: the grace window of the month two back (it and the next) closed at
// the start of this month; last month's is still open.
const twoBack = monthKey(-2);
const lastMonth = monthKey(-1);
let api: TestApi;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const ids: Record<string, number> = {};
let sponsorId = 0;

const jakarta = "31.71.01.1001";
const bandung = "32.73.01.1001";

beforeAll(async () => {
  api = await startTestApi();
  sponsorId = (await givenSponsor(api.db, { name: "Outcome Sponsor" })).id;
  ids.registrant = (await givenParticipant(api.db, { fullName: "Nyalakan Registrant" })).id;
  const settled = (at: string) => ({ settledAt: at, createdAt: at });
  // Paid three months ahead, six months ago: GRACE from the start of the month two back, INACTIVE
  // from the start of this one, paid again this month (at TODAY itself, whatever day that is).
  ids.prepaid = (await givenParticipant(api.db, { fullName: "Prepaid", villageCode: jakarta })).id;
  await givenCoverage(api.db, ids.prepaid, [month(-5), month(-4), month(-3)], settled(at(-6, 20)));
  await givenCoverage(api.db, ids.prepaid, [month(0)], settled(TODAY));
  // Paid the month three back in the month before it; the month two back on its 10th, after an
  // officer's visit on the 5th: recovered. Nothing since: GRACE again from the start of last month.
  ids.recovered = (await givenParticipant(api.db, { fullName: "Recovered", villageCode: jakarta })).id;
  await givenCoverage(api.db, ids.recovered, [month(-3)], settled(at(-4, 25)));
  await givenCoverage(api.db, ids.recovered, [month(-2)], settled(at(-2, 10)));
  // The month two back paid only last month: never ACTIVE again in the window, not INACTIVE either.
  ids.late = (await givenParticipant(api.db, { fullName: "Late", villageCode: jakarta, sponsorId })).id;
  await givenCoverage(api.db, ids.late, [month(-3)], settled(at(-4, 25)));
  await givenCoverage(api.db, ids.late, [month(-2)], settled(at(-1, 10)));
  // A referral in Bandung who stopped after the month three back.
  ids.referral = (
    await givenParticipant(api.db, { fullName: "Referral", villageCode: bandung, registeredById: ids.registrant })
  ).id;
  await givenCoverage(api.db, ids.referral, [month(-3)], settled(at(-4, 25)));

  api.setToday(at(-2, 5));
  const recorded = await api.graphql<{ recordOutreach: { userErrors: unknown[] } }>(
    `mutation ($input: RecordOutreachInput!) { recordOutreach(input: $input) { userErrors { code } } }`,
    { input: { participantId: gid("Participant", ids.recovered), channel: "VISIT", outcome: "PROMISED_TO_PAY" } },
    await bearer({ role: "OFFICER", region: "31" }),
  );
  expect(dataOf(recorded).recordOutreach.userErrors).toEqual([]);
  api.setToday(TODAY);
});
afterAll(async () => api?.close());

const OUTCOMES = `query ($from: Month!, $to: Month!, $regionCode: String, $ecosystem: EcosystemCode, $sponsorId: ID, $registrantId: ID) {
  retentionOutcomes(from: $from, to: $to, regionCode: $regionCode, ecosystem: $ecosystem, sponsorId: $sponsorId, registrantId: $registrantId) {
    month scope scopeKey windowClosed entered recovered lapsed unresolved wonBack
    enteredWithOutreach recoveredWithOutreach recoveryShare recoveryShareWithOutreach recoveryShareWithoutOutreach
  }
}`;
type Outcome = {
  month: string;
  scope: string;
  scopeKey: string | null;
  windowClosed: boolean;
  entered: number;
  recovered: number;
  lapsed: number | null;
  unresolved: number;
  wonBack: number;
  enteredWithOutreach: number;
  recoveredWithOutreach: number;
  recoveryShare: number | null;
  recoveryShareWithOutreach: number | null;
  recoveryShareWithoutOutreach: number | null;
};

async function outcomes(headers: Record<string, string>, variables: Record<string, unknown>) {
  return dataOf(await api.graphql<{ retentionOutcomes: Outcome[] }>(OUTCOMES, variables, headers)).retentionOutcomes;
}

describe("retention outcomes", () => {
  it("count who entered grace in a month and what came of it, nationally, for ADMIN", async () => {
    const [closed, open] = await outcomes(await bearer({ role: "ADMIN" }), { from: twoBack, to: lastMonth });
    expect(closed).toEqual({
      month: twoBack,
      scope: "NATIONAL",
      scopeKey: null,
      windowClosed: true,
      entered: 4,
      recovered: 1,
      lapsed: 2,
      unresolved: 1,
      wonBack: 1,
      enteredWithOutreach: 1,
      recoveredWithOutreach: 1,
      recoveryShare: 0.25,
      recoveryShareWithOutreach: 1,
      recoveryShareWithoutOutreach: 0,
    });
    // Last month: the recovered worker fell behind again; the window is open, so nobody has lapsed yet.
    expect(open).toMatchObject({ month: lastMonth, windowClosed: false, entered: 1, recovered: 0, lapsed: null });
    expect(open?.unresolved).toBe(1);
  });

  it("give an officer their own region, a sponsor its workers and a registrant their referrals", async () => {
    const closed = { from: twoBack, to: twoBack };
    const [province] = await outcomes(await bearer({ role: "OFFICER", region: "31" }), closed);
    expect(province).toMatchObject({ scope: "PROVINCE", scopeKey: "31", entered: 3, recovered: 1, lapsed: 1 });
    const [regency] = await outcomes(await bearer({ role: "OFFICER", region: "32" }), {
      ...closed,
      regionCode: "32.73",
    });
    expect(regency).toMatchObject({ scope: "REGENCY", scopeKey: "32.73", entered: 1, lapsed: 1, recovered: 0 });
    const [sponsor] = await outcomes(await bearer({ role: "SPONSOR", sponsorId }), closed);
    expect(sponsor).toMatchObject({ scope: "SPONSOR", entered: 1, recovered: 0, lapsed: 0, unresolved: 1 });
    const [referrals] = await outcomes(await bearer({ role: "PARTICIPANT", participantId: ids.registrant }), closed);
    expect(referrals).toMatchObject({ scope: "REGISTRANT", entered: 1, lapsed: 1 });
    const [viaAdmin] = await outcomes(await bearer({ role: "ADMIN" }), {
      ...closed,
      registrantId: gid("Participant", ids.registrant ?? 0),
    });
    expect(viaAdmin).toEqual(referrals);
  });

  it("refuse other scopes than the caller's own", async () => {
    const closed = { from: twoBack, to: twoBack };
    const refusals: [Record<string, string>, Record<string, unknown>][] = [
      [await bearer({ role: "OFFICER", region: "32" }), { regionCode: "31" }],
      [await bearer({ role: "OFFICER", region: "31" }), { ecosystem: "MARKET" }],
      [await bearer({ role: "SPONSOR", sponsorId }), { sponsorId: gid("Sponsor", sponsorId + 1) }],
      [
        await bearer({ role: "PARTICIPANT", participantId: ids.registrant }),
        { registrantId: gid("Participant", ids.prepaid ?? 0) },
      ],
      [await bearer({ role: "PARTNER", scopes: ["participants:read"] }), {}],
    ];
    for (const [headers, scope] of refusals) {
      const response = await api.graphql(OUTCOMES, { ...closed, ...scope }, headers);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(scope)).toBe("FORBIDDEN");
      expect(response.data?.retentionOutcomes ?? null).toBeNull();
    }
    const anonymous = await api.graphql(OUTCOMES, closed, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuse bad ranges and scopes", async () => {
    const admin = await bearer({ role: "ADMIN" });
    for (const variables of [
      { from: lastMonth, to: twoBack }, // backwards
      { from: monthKey(-34), to: monthKey(-10) }, // 25 months: one more than allowed
      { from: monthKey(0), to: monthKey(1) }, // into the future
      { from: twoBack, to: twoBack, regionCode: "31.71.01" },
      { from: twoBack, to: twoBack, regionCode: "31", ecosystem: "MARKET" },
      { from: "2026-9", to: twoBack }, // not a month: malformed in any year
    ]) {
      const response = await api.graphql(OUTCOMES, variables, admin);
      expect(response.errors?.[0]?.message).toBeTruthy();
      expect(response.data?.retentionOutcomes ?? null).toBeNull();
    }
  });

  it("follow outreach recorded now, a worker's move, and stay equal to the daily job's recount", async () => {
    const admin = await bearer({ role: "ADMIN" });
    await api.graphql(
      `mutation ($input: RecordOutreachInput!) { recordOutreach(input: $input) { userErrors { code } } }`,
      { input: { participantId: gid("Participant", ids.recovered ?? 0), channel: "WHATSAPP", outcome: "REACHED" } },
      admin,
    );
    const [open] = await outcomes(admin, { from: lastMonth, to: lastMonth });
    expect(open).toMatchObject({ entered: 1, enteredWithOutreach: 1, recoveryShareWithOutreach: 0 });

    // The Bandung referral moves to Jakarta: their episode of two months back moves with them.
    await api.graphql(
      `mutation ($input: UpdateParticipantInput!) { updateParticipant(input: $input) { userErrors { code } } }`,
      { input: { id: gid("Participant", ids.referral ?? 0), villageCode: jakarta } },
      admin,
    );
    const [jakartaTwoBack] = await outcomes(admin, { from: twoBack, to: twoBack, regionCode: "31.71" });
    const [bandungTwoBack] = await outcomes(admin, { from: twoBack, to: twoBack, regionCode: "32.73" });
    expect(jakartaTwoBack?.entered).toBe(4);
    expect(bandungTwoBack?.entered).toBe(0);

    const report = await verifyRollups(api.db, { repair: false });
    expect(report.retention_outcome_rollups).toEqual({ drift: 0, repaired: false });
  });

  it("are repaired by the daily job when they drift, regency by regency", async () => {
    await api.db.execute(
      sql`update retention_outcome_rollups set recovered = recovered + 5
          where scope = 'NATIONAL' and regency_code = '31.71' and month = ${month(-2)}`,
    );
    // The regencies are proved in a weekly rotation: over the next seven days each regency's step
    // comes exactly once, and on its day Jakarta Selatan's finds the drift and rebuilds its rows;
    // Bandung's, on its own day, finds none.
    const week = await Promise.all(
      Array.from({ length: 7 }, async (_, d) => {
        const day = new Date(api.clock.now().getTime() + d * 86_400_000);
        const steps = (await dailyRollupStepsFor(api.db, day)).filter((step) =>
          step.name.startsWith("verify:retention_outcome_rollups:"),
        );
        return { day, steps };
      }),
    );
    const proved = week.flatMap(({ steps }) => steps.map((step) => step.name));
    expect(new Set(proved).size).toBe(proved.length);
    expect(proved).toHaveLength((await regionCodesAt(api.db, "REGENCY")).length);
    expect(week.every(({ steps }) => steps.length < proved.length / 6)).toBe(true);
    // A run by hand (`npm run month-end`) proves every regency on the day.
    const everyShard = (await dailyRollupStepsFor(api.db, api.clock.now(), { everyShard: true })).filter((step) =>
      step.name.startsWith("verify:retention_outcome_rollups:"),
    );
    expect(everyShard.map((step) => step.name).sort()).toEqual([...proved].sort());
    const results: Record<string, unknown> = {};
    for (const regency of ["31.71", "32.73"]) {
      const name = `verify:retention_outcome_rollups:${regency}`;
      const turn = week.find(({ steps }) => steps.some((step) => step.name === name));
      if (!turn) throw new Error(`${regency} is never proved in a week`);
      Object.assign(
        results,
        await runSteps(
          api.db,
          turn.steps.filter((step) => step.name === name),
          turn.day,
        ),
      );
    }
    expect(results).toEqual({
      "verify:retention_outcome_rollups:31.71": { drift: 1, repaired: true },
      "verify:retention_outcome_rollups:32.73": { drift: 0, repaired: false },
    });
    const [closed] = await outcomes(await bearer({ role: "ADMIN" }), { from: twoBack, to: twoBack });
    expect(closed?.recovered).toBe(1);
    expect((await verifyRollups(api.db, { repair: false })).retention_outcome_rollups?.drift).toBe(0);
  });
});
