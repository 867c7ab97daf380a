import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyRollups } from "../src/modules/dashboard/service";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { givenCoverage, givenParticipant, givenSponsor } from "./testkit/fixtures";

// Today is 15 November 2026: September's grace window (September and October) closed on 1 November,
// October's is still open.
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
  // Paid June to August ahead (in May): GRACE on 1 September, INACTIVE on 1 November, paid again on 10 November.
  ids.prepaid = (await givenParticipant(api.db, { fullName: "Prepaid", villageCode: jakarta })).id;
  await givenCoverage(api.db, ids.prepaid, ["2026-06-01", "2026-07-01", "2026-08-01"], settled("2026-05-20T03:00:00Z"));
  await givenCoverage(api.db, ids.prepaid, ["2026-11-01"], settled("2026-11-10T03:00:00Z"));
  // Paid August in July; September on 10 September, after an officer's visit on the 5th: recovered.
  // Nothing since: GRACE again on 1 October.
  ids.recovered = (await givenParticipant(api.db, { fullName: "Recovered", villageCode: jakarta })).id;
  await givenCoverage(api.db, ids.recovered, ["2026-08-01"], settled("2026-07-25T03:00:00Z"));
  await givenCoverage(api.db, ids.recovered, ["2026-09-01"], settled("2026-09-10T03:00:00Z"));
  // September paid only in October: never ACTIVE again in the window, not INACTIVE either.
  ids.late = (await givenParticipant(api.db, { fullName: "Late", villageCode: jakarta, sponsorId })).id;
  await givenCoverage(api.db, ids.late, ["2026-08-01"], settled("2026-07-25T03:00:00Z"));
  await givenCoverage(api.db, ids.late, ["2026-09-01"], settled("2026-10-10T03:00:00Z"));
  // A referral in Bandung who stopped after August.
  ids.referral = (
    await givenParticipant(api.db, { fullName: "Referral", villageCode: bandung, registeredById: ids.registrant })
  ).id;
  await givenCoverage(api.db, ids.referral, ["2026-08-01"], settled("2026-07-25T03:00:00Z"));

  api.setToday("2026-09-05T03:00:00Z");
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
    const [september, october] = await outcomes(await bearer({ role: "ADMIN" }), { from: "2026-09", to: "2026-10" });
    expect(september).toEqual({
      month: "2026-09",
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
    // October: the recovered worker fell behind again; the window is open, so nobody has lapsed yet.
    expect(october).toMatchObject({ month: "2026-10", windowClosed: false, entered: 1, recovered: 0, lapsed: null });
    expect(october?.unresolved).toBe(1);
  });

  it("give an officer their own region, a sponsor its workers and a registrant their referrals", async () => {
    const september = { from: "2026-09", to: "2026-09" };
    const [province] = await outcomes(await bearer({ role: "OFFICER", region: "31" }), september);
    expect(province).toMatchObject({ scope: "PROVINCE", scopeKey: "31", entered: 3, recovered: 1, lapsed: 1 });
    const [regency] = await outcomes(await bearer({ role: "OFFICER", region: "32" }), {
      ...september,
      regionCode: "32.73",
    });
    expect(regency).toMatchObject({ scope: "REGENCY", scopeKey: "32.73", entered: 1, lapsed: 1, recovered: 0 });
    const [sponsor] = await outcomes(await bearer({ role: "SPONSOR", sponsorId }), september);
    expect(sponsor).toMatchObject({ scope: "SPONSOR", entered: 1, recovered: 0, lapsed: 0, unresolved: 1 });
    const [referrals] = await outcomes(await bearer({ role: "PARTICIPANT", participantId: ids.registrant }), september);
    expect(referrals).toMatchObject({ scope: "REGISTRANT", entered: 1, lapsed: 1 });
    const [viaAdmin] = await outcomes(await bearer({ role: "ADMIN" }), {
      ...september,
      registrantId: gid("Participant", ids.registrant ?? 0),
    });
    expect(viaAdmin).toEqual(referrals);
  });

  it("refuse other scopes than the caller's own", async () => {
    const september = { from: "2026-09", to: "2026-09" };
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
      const response = await api.graphql(OUTCOMES, { ...september, ...scope }, headers);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(scope)).toBe("FORBIDDEN");
      expect(response.data?.retentionOutcomes ?? null).toBeNull();
    }
    const anonymous = await api.graphql(OUTCOMES, september, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuse bad ranges and scopes", async () => {
    const admin = await bearer({ role: "ADMIN" });
    for (const variables of [
      { from: "2026-10", to: "2026-09" },
      { from: "2024-01", to: "2026-01" },
      { from: "2026-11", to: "2026-12" },
      { from: "2026-09", to: "2026-09", regionCode: "31.71.01" },
      { from: "2026-09", to: "2026-09", regionCode: "31", ecosystem: "MARKET" },
      { from: "2026-9", to: "2026-09" },
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
    const [october] = await outcomes(admin, { from: "2026-10", to: "2026-10" });
    expect(october).toMatchObject({ entered: 1, enteredWithOutreach: 1, recoveryShareWithOutreach: 0 });

    // The Bandung referral moves to Jakarta: their September episode moves with them.
    await api.graphql(
      `mutation ($input: UpdateParticipantInput!) { updateParticipant(input: $input) { userErrors { code } } }`,
      { input: { id: gid("Participant", ids.referral ?? 0), villageCode: jakarta } },
      admin,
    );
    const [jakartaSeptember] = await outcomes(admin, { from: "2026-09", to: "2026-09", regionCode: "31.71" });
    const [bandungSeptember] = await outcomes(admin, { from: "2026-09", to: "2026-09", regionCode: "32.73" });
    expect(jakartaSeptember?.entered).toBe(4);
    expect(bandungSeptember?.entered).toBe(0);

    const report = await verifyRollups(api.db, { repair: false });
    expect(report.retention_outcome_rollups).toEqual({ drift: 0, repaired: false });
  });

  it("are repaired by the daily job when they drift", async () => {
    await api.db.execute(
      sql`update retention_outcome_rollups set recovered = recovered + 5 where scope = 'NATIONAL' and month = '2026-09-01'`,
    );
    expect((await verifyRollups(api.db, { repair: true })).retention_outcome_rollups).toEqual({
      drift: 1,
      repaired: true,
    });
    const [september] = await outcomes(await bearer({ role: "ADMIN" }), { from: "2026-09", to: "2026-09" });
    expect(september?.recovered).toBe(1);
    expect((await verifyRollups(api.db, { repair: false })).retention_outcome_rollups?.drift).toBe(0);
  });
});
