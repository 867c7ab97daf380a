import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ecosystemTargets, nationalTargets } from "../src/db/tables";
import type { Viewer } from "../src/modules/access/rules";
import { closeCoverageMonth, dailyRollupStepsFor, verifyRollups } from "../src/modules/dashboard/service";
import { registerParticipant, updateParticipant } from "../src/modules/participants/service";
import { applyPaymentOutcome, payContribution } from "../src/modules/payments/service";
import { fixedClock } from "../src/shared/clock";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, dateIn, month, monthKey, year } from "./testkit/dates";
import { givenCoverage, givenParticipant, givenSponsor } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";

let api: TestApi;

type Dashboard = {
  coverageDashboard: {
    registered: number;
    pending: number;
    active: number;
    grace: number;
    inactive: number;
    target: number | null;
    progress: number | null;
    byEcosystem: { key: string; active: number; registered: number; target: number | null }[];
    byRegion: { key: string; label: string; registered: number; active: number }[];
    bySegment: { key: string; registered: number }[];
    bySponsorProgram: { key: string; registered: number }[];
    activeThisMonth: number | null;
    activeLastMonth: number | null;
    netGrowth: number | null;
  };
};
const DASHBOARD = `query ($regionCode: String, $ecosystem: EcosystemCode, $segment: Segment, $asOf: Date) {
  coverageDashboard(regionCode: $regionCode, ecosystem: $ecosystem, segment: $segment, asOf: $asOf) {
    registered pending active grace inactive target progress
    byEcosystem { key active registered target }
    byRegion { key label registered active }
    bySegment { key registered }
    bySponsorProgram { key registered }
    activeThisMonth activeLastMonth netGrowth
  }
}`;

beforeAll(async () => {
  api = await startTestApi(); // today: TODAY, whatever day of its month that is
  // The targets the dashboard counts against are those of TODAY's year. The reference seed holds
  // the published figures up to 2026 only, so TODAY's year gets the 2026 ones (the same values
  // when TODAY is in 2026).
  await api.db
    .insert(nationalTargets)
    .values({ year: year(0), activeTarget: 70_000_000 })
    .onConflictDoUpdate({ target: nationalTargets.year, set: { activeTarget: 70_000_000 } });
  for (const [ecosystemCode, activeTarget] of [
    ["VILLAGE", 8_600_000],
    ["MARKET", 4_300_000],
    ["ECOMMERCE", 3_900_000],
    ["UMKM", 6_500_000],
    ["VULNERABLE_WORKERS", 6_000_000],
  ] as const) {
    await api.db
      .insert(ecosystemTargets)
      .values({ ecosystemCode, year: year(0), activeTarget })
      .onConflictDoUpdate({ target: [ecosystemTargets.ecosystemCode, ecosystemTargets.year], set: { activeTarget } });
  }
  const sertakan = await givenSponsor(api.db, { program: "SERTAKAN" });
  // Jakarta (31): 3 active (one sponsored), 1 in grace. West Java (32): 1 inactive, 1 pending (PU).
  const given = [
    { villageCode: "31.71.01.1001", ecosystemCode: "MARKET", paidThrough: month(0), sponsorId: sertakan.id },
    { villageCode: "31.71.02.1001", ecosystemCode: "MARKET", paidThrough: month(1) },
    { villageCode: "31.74.01.1001", ecosystemCode: "VILLAGE", paidThrough: month(0) },
    { villageCode: "31.71.01.1001", ecosystemCode: "UMKM", paidThrough: month(-1) },
    { villageCode: "32.73.01.1001", ecosystemCode: "VILLAGE", paidThrough: month(-5) },
    { villageCode: "32.73.01.1001", ecosystemCode: "UMKM", paidThrough: null, segment: "PU" as const },
  ] as const;
  for (const g of given) {
    const p = await givenParticipant(api.db, { ...g, registeredAt: at(-10, 10) });
    // Coverage history for month-over-month growth: last month and this month as paid.
    const months = g.paidThrough === null ? [] : [month(-1), month(0), month(1)].filter((m) => m <= g.paidThrough);
    await givenCoverage(api.db, p.id, months);
  }
});
afterAll(async () => api?.close());

describe("coverageDashboard", () => {
  it("counts the nation by status, ecosystem, province, segment and sponsor program against the target", async () => {
    api.statements.length = 0;
    const { coverageDashboard: d } = dataOf(await api.graphql<Dashboard>(DASHBOARD, {}));
    // Buckets, region names, month-over-month and targets: one round trip.
    expect(api.statements).toHaveLength(1);
    expect({
      registered: d.registered,
      pending: d.pending,
      active: d.active,
      grace: d.grace,
      inactive: d.inactive,
    }).toEqual({
      registered: 6,
      pending: 1,
      active: 3,
      grace: 1,
      inactive: 1,
    });
    expect(d.target).toBe(70_000_000);
    expect(d.progress).toBeCloseTo(3 / 70_000_000);
    expect(d.byEcosystem).toEqual([
      { key: "MARKET", active: 2, registered: 2, target: 4_300_000 },
      { key: "VILLAGE", active: 1, registered: 2, target: 8_600_000 },
      { key: "UMKM", active: 0, registered: 2, target: 6_500_000 },
    ]);
    expect(d.byRegion).toEqual([
      { key: "31", label: "Daerah Khusus Ibukota Jakarta", registered: 4, active: 3 },
      { key: "32", label: "Jawa Barat", registered: 2, active: 0 },
    ]);
    expect(d.bySegment).toEqual([
      { key: "BPU", registered: 5 },
      { key: "PU", registered: 1 },
    ]);
    expect(d.bySponsorProgram).toEqual([
      { key: "NONE", registered: 5 },
      { key: "SERTAKAN", registered: 1 },
    ]);
    // Last month: 4 had coverage (three in Jakarta and next month's payer); this month: 3.
    expect({ thisMonth: d.activeThisMonth, lastMonth: d.activeLastMonth, net: d.netGrowth }).toEqual({
      thisMonth: 3,
      lastMonth: 4,
      net: -1,
    });
  });

  it("breaks a province down by regency and narrows by ecosystem", async () => {
    const { coverageDashboard: d } = dataOf(
      await api.graphql<Dashboard>(DASHBOARD, { regionCode: "31", ecosystem: "MARKET" }),
    );
    expect({ registered: d.registered, active: d.active, target: d.target }).toEqual({
      registered: 2,
      active: 2,
      target: null,
    });
    expect(d.byRegion.map((r) => [r.key, r.registered])).toEqual([["31.71", 2]]);
  });

  it("breaks a regency down by district, and answers a district at its own grain", async () => {
    const regency = dataOf(await api.graphql<Dashboard>(DASHBOARD, { regionCode: "31.71" })).coverageDashboard;
    expect(regency.byRegion.map((r) => [r.key, r.label, r.registered, r.active])).toEqual([
      ["31.71.01", "Gambir", 2, 1],
      ["31.71.02", "Sawah Besar", 1, 1],
    ]);
    expect({ registered: regency.registered, grace: regency.grace, netGrowth: regency.netGrowth }).toEqual({
      registered: 3,
      grace: 1,
      netGrowth: null,
    });
    const district = dataOf(await api.graphql<Dashboard>(DASHBOARD, { regionCode: "31.71.01" })).coverageDashboard;
    expect({ registered: district.registered, active: district.active, byRegion: district.byRegion }).toEqual({
      registered: 2,
      active: 1,
      byRegion: [],
    });
    expect(district.byEcosystem.map((e) => e.key).sort()).toEqual(["MARKET", "UMKM"]);
  });

  it("moves with the month asked about", async () => {
    const { coverageDashboard: d } = dataOf(await api.graphql<Dashboard>(DASHBOARD, { asOf: dateIn(1, 20) }));
    expect({ active: d.active, grace: d.grace, inactive: d.inactive }).toEqual({ active: 1, grace: 3, inactive: 1 });
  });

  it("answers a month before the current one from the kept history, never from today's workers", async () => {
    // Nothing kept for five months back yet: refused, rather than counting today's workers in it.
    const past = await api.graphql<Dashboard>(DASHBOARD, { asOf: dateIn(-5, 15) });
    expect(past.data?.coverageDashboard ?? null).toBeNull();
    expect(past.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(past.errors?.[0]?.message).toContain(monthKey(-5));
    // Once the month is kept, it answers what was kept: registered and active, statuses null.
    await closeCoverageMonth(api.db, month(-5), api.clock.now());
    const kept = dataOf(
      await api.graphql<{
        coverageDashboard: { fromHistory: boolean; registered: number; active: number; grace: number | null };
      }>(`query ($asOf: Date) { coverageDashboard(asOf: $asOf) { fromHistory registered active grace } }`, {
        asOf: dateIn(-5, 15),
      }),
    ).coverageDashboard;
    expect(kept).toMatchObject({ fromHistory: true, grace: null });
    const recount = (await api.db.execute(sql`select count(*)::int as n from participants
      where registered_at < ((${month(-4)}::date)::timestamp at time zone 'Asia/Jakarta')`)) as unknown as {
      rows: { n: number }[];
    };
    expect(kept.registered).toBe(recount.rows[0]?.n);
    // Earlier days of the current month (its 1st; today itself when TODAY is the 1st) are the current month.
    expect(dataOf(await api.graphql<Dashboard>(DASHBOARD, { asOf: month(0) })).coverageDashboard.registered).toBe(6);
  });

  it("keeps an officer to their region and refuses other roles", async () => {
    const officer = await bearer({ role: "OFFICER", region: "32" });
    const own = dataOf(await api.graphql<Dashboard>(DASHBOARD, {}, officer)).coverageDashboard;
    expect({ registered: own.registered, inactive: own.inactive, pending: own.pending }).toEqual({
      registered: 2,
      inactive: 1,
      pending: 1,
    });
    const outside = await api.graphql(DASHBOARD, { regionCode: "31" }, officer);
    expect(outside.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const sponsor = await api.graphql(DASHBOARD, {}, await bearer({ role: "SPONSOR", sponsorId: 1 }));
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("lets ADMIN set targets, and shows public ecosystem totals to anyone", async () => {
    const set = dataOf(
      await api.graphql<{ setCoverageTarget: { year: number; userErrors: unknown[] } }>(
        `mutation ($year: Int!) { setCoverageTarget(input: { year: $year, activeTarget: 6 }) { year userErrors { code } } }`,
        { year: year(0) },
      ),
    );
    expect(set.setCoverageTarget).toEqual({ year: year(0), userErrors: [] });
    const d = dataOf(await api.graphql<Dashboard>(DASHBOARD, {})).coverageDashboard;
    expect({ target: d.target, progress: d.progress }).toEqual({ target: 6, progress: 0.5 });
    const officer = await api.graphql(
      `mutation ($year: Int!) { setCoverageTarget(input: { year: $year, activeTarget: 1 }) { year } }`,
      { year: year(0) },
      await bearer({ role: "OFFICER", region: "31" }),
    );
    expect(officer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const publicTotals = dataOf(
      await api.graphql<{ ecosystem: { coverage: unknown } }>(
        `{ ecosystem(code: MARKET) { coverage { registered active target } } }`,
        {},
        {},
      ),
    );
    expect(publicTotals.ecosystem.coverage).toEqual({ registered: 2, active: 2, target: 4_300_000 });
  });
});

describe("retention cohorts", () => {
  it("gives the share of a month's registrations still covered 1, 3, 6 and 12 months later", async () => {
    const local = await startTestApi();
    const joined = monthKey(-10); // the cohort: registered ten months before TODAY's month
    try {
      const cohort = [];
      for (let i = 0; i < 4; i++)
        cohort.push(
          await givenParticipant(local.db, {
            ecosystemCode: i < 2 ? "VILLAGE" : "MARKET",
            registeredAt: at(-10, 20),
          }),
        );
      const cover = (participantId: number, months: string[]) => givenCoverage(local.db, participantId, months);
      // After 1: 3 of 4; after 3: 2; after 6: 1; after 12 is still to come.
      await cover(cohort[0]?.id ?? 0, [month(-9), month(-7), month(-4)]);
      await cover(cohort[1]?.id ?? 0, [month(-9), month(-7)]);
      await cover(cohort[2]?.id ?? 0, [month(-9)]);
      const query = `query ($per: Boolean, $cohort: Month!) { retentionCohorts(from: $cohort, to: $cohort, perEcosystem: $per) { cohort ecosystem registered after1 after3 after6 after12 } }`;
      const overall = dataOf(
        await local.graphql<{ retentionCohorts: unknown[] }>(query, { per: false, cohort: joined }),
      ).retentionCohorts;
      expect(overall).toEqual([
        { cohort: joined, ecosystem: null, registered: 4, after1: 0.75, after3: 0.5, after6: 0.25, after12: null },
      ]);
      const perEcosystem = dataOf(
        await local.graphql<{ retentionCohorts: unknown[] }>(query, { per: true, cohort: joined }),
      ).retentionCohorts;
      expect(perEcosystem).toEqual([
        { cohort: joined, ecosystem: "MARKET", registered: 2, after1: 0.5, after3: 0, after6: 0, after12: null },
        { cohort: joined, ecosystem: "VILLAGE", registered: 2, after1: 1, after3: 1, after6: 0.5, after12: null },
      ]);
    } finally {
      await local.close();
    }
  });
});

describe("rollups stay exact", () => {
  it("equal a full recount after any sequence of registrations, payments, refunds, moves and month-end runs", {
    timeout: 240_000,
  }, async () => {
    const local = await startTestApi();
    const admin: Viewer = { kind: "user", role: "ADMIN", subject: "property-test", scopes: new Set() };
    let serial = 0;
    const ctxAt = (iso: string) => ({
      db: local.db,
      viewer: admin,
      clock: fixedClock(iso),
      requestId: "property-test",
    });
    const villages = ["31.71.01.1001", "31.74.01.1001", "32.73.01.1001"];
    const ecosystems = ["VILLAGE", "MARKET", "UMKM", "ECOMMERCE", "VULNERABLE_WORKERS"] as const;
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant("register" as const),
        village: fc.constantFrom(...villages),
        ecosystem: fc.constantFrom(...ecosystems),
      }),
      fc.record({
        kind: fc.constant("pay" as const),
        pick: fc.nat(),
        months: fc.constantFrom(1, 3, 6, 12),
        settle: fc.constantFrom("SETTLED", "FAILED"),
      }),
      fc.record({ kind: fc.constant("refund" as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constant("move" as const),
        pick: fc.nat(),
        village: fc.constantFrom(...villages),
        ecosystem: fc.constantFrom(...ecosystems),
      }),
      fc.record({ kind: fc.constant("monthEnd" as const) }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(operation, { minLength: 1, maxLength: 12 }),
          // Two months back, and TODAY itself.
          fc.constantFrom(at(-2, 15), TODAY),
          async (ops, now) => {
            const ids: number[] = [];
            const settled: number[] = [];
            for (const op of ops) {
              if (op.kind === "register") {
                serial += 1;
                const result = await registerParticipant(ctxAt(now), {
                  nik: `317101${String(1 + (serial % 28)).padStart(2, "0")}0590${String(serial).padStart(4, "0")}`,
                  fullName: "Pekerja Acak",
                  segment: "BPU",
                  occupation: "Petani",
                  ecosystem: op.ecosystem,
                  villageCode: op.village,
                  reportedMonthlyIncome: 1_000_000n,
                  programs: ["JKK", "JKM"],
                });
                if (result.participant) ids.push(result.participant.id);
              } else if (op.kind === "pay" && ids.length > 0) {
                const participantId = ids[op.pick % ids.length] ?? 0;
                serial += 1;
                const paid = await payContribution(ctxAt(now), {
                  participantId,
                  months: op.months,
                  channel: "BRIVA",
                  idempotencyKey: `prop-${serial}`,
                });
                if (paid.payment) {
                  const paymentId = paid.payment.id;
                  await local.db.transaction((tx) =>
                    applyPaymentOutcome(tx, paymentId, op.settle as "SETTLED" | "FAILED", new Date(now), {}),
                  );
                  if (op.settle === "SETTLED") settled.push(paymentId);
                }
              } else if (op.kind === "refund" && settled.length > 0) {
                const paymentId = settled[op.pick % settled.length] ?? 0;
                await local.db.transaction((tx) => applyPaymentOutcome(tx, paymentId, "REFUNDED", new Date(now), {}));
              } else if (op.kind === "move" && ids.length > 0) {
                await updateParticipant(ctxAt(now), {
                  id: ids[op.pick % ids.length] ?? 0,
                  villageCode: op.village,
                  ecosystem: op.ecosystem,
                });
              } else if (op.kind === "monthEnd") {
                const report = await verifyRollups(local.db, { repair: false });
                expect(Object.values(report).every((r) => r.drift === 0)).toBe(true);
              }
            }
            const report = await verifyRollups(local.db, { repair: false });
            expect(report).toEqual({
              coverage_rollups: { drift: 0, repaired: false },
              monthly_active_rollups: { drift: 0, repaired: false },
              retention_rollups: { drift: 0, repaired: false },
              regional_retention_rollups: { drift: 0, repaired: false },
              retention_outcome_rollups: { drift: 0, repaired: false },
            });
          },
        ),
        { numRuns: 25, seed: 20_241_131 },
      );
    } finally {
      await local.close();
    }
  });

  it("finds and repairs the cohort retention rollup's drift cohort month by cohort month (the daily job)", async () => {
    const local = await startTestApi();
    try {
      const worker = await givenParticipant(local.db, {});
      const cohort = String(
        (
          (await local.db.execute(
            sql`select to_char(wib_month(registered_at), 'YYYY-MM-DD') as month from participants where id = ${worker.id}`,
          )) as unknown as { rows: { month: string }[] }
        ).rows[0]?.month,
      );
      await local.db.execute(
        sql`update retention_rollups set participants = participants + 5 where cohort_month = ${cohort}::date and months_after = 0`,
      );
      const steps = (await dailyRollupStepsFor(local.db, local.clock.now())).filter((step) =>
        step.name.startsWith("verify:retention_rollups:"),
      );
      expect(steps.map((step) => step.name)).toContain(`verify:retention_rollups:${cohort}`);
      const run = await runSteps(local.db, steps, local.clock.now());
      expect(run[`verify:retention_rollups:${cohort}`]).toEqual({ drift: 1, repaired: true });
      expect(Object.values(run).filter((result) => result.drift !== 0)).toHaveLength(1);
      expect((await verifyRollups(local.db, { repair: false })).retention_rollups).toEqual({
        drift: 0,
        repaired: false,
      });
    } finally {
      await local.close();
    }
  });

  it("finds and repairs drift", async () => {
    const local = await startTestApi();
    try {
      await givenParticipant(local.db, {});
      await local.db.execute(sql`update coverage_rollups set participants = participants + 5 where region_level = 1`);
      expect((await verifyRollups(local.db, { repair: true })).coverage_rollups).toEqual({ drift: 1, repaired: true });
      expect((await verifyRollups(local.db, { repair: false })).coverage_rollups).toEqual({
        drift: 0,
        repaired: false,
      });
    } finally {
      await local.close();
    }
  });
});
