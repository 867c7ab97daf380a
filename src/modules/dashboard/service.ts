import type { Database } from "../../db/client";
import { forbidden, type UserError, userError } from "../../shared/errors";
import { inRegion, type Viewer } from "../access/rules";
import { audited } from "../audit/service";
import type { EcosystemCode } from "../ecosystems/tables";
import { currentMonth, monthNumber, monthStart } from "../participants/rules";
import type { ServiceContext } from "../participants/service";
import { progress, retentionShare, type StatusCounts, statusCounts } from "./rules";
import {
  activeByMonth,
  type Bucket,
  type DashboardScope,
  rebuildRollup,
  regionBuckets,
  retentionRows,
  rollupDrift,
  rollupTables,
  scopeBuckets,
  targetsFor,
  upsertEcosystemTarget,
  upsertNationalTarget,
} from "./store";

export type Slice = StatusCounts & { key: string; label: string; target: number | null; progress: number | null };

export interface CoverageDashboard extends StatusCounts {
  asOf: string;
  regionCode: string | null;
  target: number | null;
  progress: number | null;
  byEcosystem: Slice[];
  byRegion: Slice[];
  bySegment: Slice[];
  bySponsorProgram: Slice[];
  /** Participants with coverage in the month of asOf and the month before, from covered months. */
  activeThisMonth: number | null;
  activeLastMonth: number | null;
  netGrowth: number | null;
}

/** Leadership and regional staff: ADMIN everywhere, an OFFICER within their region. */
export function dashboardScopeFor(viewer: Viewer, regionCode: string | null | undefined): string | null {
  if (viewer.kind === "user" && viewer.role === "ADMIN") return regionCode ?? null;
  if (viewer.kind === "user" && viewer.role === "OFFICER" && viewer.regionCode) {
    const scope = regionCode ?? viewer.regionCode;
    if (!inRegion(scope, viewer.regionCode)) throw forbidden(`officers see the dashboard of ${viewer.regionCode} only`);
    return scope;
  }
  throw forbidden("the coverage dashboard is for ADMIN and OFFICER callers");
}

function slices(
  buckets: Bucket[],
  asOf: Date,
  label: (key: string) => string,
  target: (key: string) => number | null,
): Slice[] {
  const byKey = new Map<string, Bucket[]>();
  for (const bucket of buckets) byKey.set(bucket.key, [...(byKey.get(bucket.key) ?? []), bucket]);
  return [...byKey.entries()]
    .map(([key, list]) => {
      const counts = statusCounts(list, asOf);
      const goal = target(key);
      return { key, label: label(key), ...counts, target: goal, progress: progress(counts.active, goal) };
    })
    .sort((a, b) => b.active - a.active || a.key.localeCompare(b.key));
}

/**
 * Registered, active, grace and inactive participants against the year's target, by ecosystem,
 * region, segment and sponsor program, all summed from rollups: no participant row is read.
 */
export async function coverageDashboard(
  ctx: { db: Database; viewer: Viewer },
  args: DashboardScope & { asOf: Date },
): Promise<CoverageDashboard> {
  const regionCode = dashboardScopeFor(ctx.viewer, args.regionCode);
  const scope = { regionCode, ecosystem: args.ecosystem ?? null, segment: args.segment ?? null };
  const month = currentMonth(args.asOf);
  const [dimensions, regionRows, targets, active] = await Promise.all([
    scopeBuckets(ctx.db, scope),
    regionBuckets(ctx.db, scope),
    targetsFor(ctx.db, Number(monthStart(month).slice(0, 4))),
    scope.segment || (regionCode && regionCode.length > 2)
      ? Promise.resolve(null)
      : activeByMonth(ctx.db, [monthStart(month), monthStart(month - 1)], {
          provinceCode: regionCode,
          ecosystem: scope.ecosystem,
        }),
  ]);
  const totals = statusCounts(dimensions.ecosystem, args.asOf);
  // Targets exist nationally and per ecosystem; a regional or segment scope has none.
  const target =
    regionCode || scope.segment
      ? null
      : scope.ecosystem
        ? (targets.ecosystem.get(scope.ecosystem) ?? null)
        : targets.national;
  const regionNames = new Map(regionRows.map((row) => [row.key, row.name]));
  const thisMonth = active ? (active.get(monthStart(month)) ?? 0) : null;
  const lastMonth = active ? (active.get(monthStart(month - 1)) ?? 0) : null;
  return {
    asOf: args.asOf.toISOString().slice(0, 10),
    regionCode,
    ...totals,
    target,
    progress: progress(totals.active, target),
    byEcosystem: slices(
      dimensions.ecosystem,
      args.asOf,
      (key) => key,
      (key) => (regionCode || scope.segment ? null : (targets.ecosystem.get(key) ?? null)),
    ),
    byRegion: slices(
      regionRows,
      args.asOf,
      (key) => regionNames.get(key) ?? key,
      () => null,
    ),
    bySegment: slices(
      dimensions.segment,
      args.asOf,
      (key) => key,
      () => null,
    ),
    bySponsorProgram: slices(
      dimensions.sponsorProgram,
      args.asOf,
      (key) => key,
      () => null,
    ),
    activeThisMonth: thisMonth,
    activeLastMonth: lastMonth,
    netGrowth: thisMonth === null || lastMonth === null ? null : thisMonth - lastMonth,
  };
}

export interface RetentionCohort {
  cohort: string;
  ecosystem: EcosystemCode | null;
  registered: number;
  /** Share with coverage 1, 3, 6 and 12 months after the registration month; null until then. */
  after1: number | null;
  after3: number | null;
  after6: number | null;
  after12: number | null;
}

/** Retention cohorts by registration month, overall or per ecosystem: the sustainable-growth figure. */
export async function retentionCohorts(
  ctx: { db: Database; viewer: Viewer },
  args: { from: string; to: string; asOf: Date; ecosystem?: EcosystemCode | null; perEcosystem: boolean },
): Promise<RetentionCohort[]> {
  dashboardScopeFor(ctx.viewer, null);
  const rows = await retentionRows(ctx.db, args.from, args.to, args.ecosystem);
  const cohorts = new Map<string, { cohort: string; ecosystem: EcosystemCode | null; counts: Map<number, number> }>();
  for (const row of rows) {
    const ecosystem = args.perEcosystem ? row.ecosystemCode : (args.ecosystem ?? null);
    const key = `${row.cohortMonth}|${ecosystem ?? ""}`;
    const entry = cohorts.get(key) ?? { cohort: row.cohortMonth, ecosystem, counts: new Map() };
    entry.counts.set(row.monthsAfter, (entry.counts.get(row.monthsAfter) ?? 0) + row.participants);
    cohorts.set(key, entry);
  }
  const asOfMonth = currentMonth(args.asOf);
  return [...cohorts.values()]
    .map(({ cohort, ecosystem, counts }) => {
      const size = counts.get(0) ?? 0;
      const share = (k: number) => retentionShare(size, counts.get(k), monthNumber(cohort), k, asOfMonth);
      return {
        cohort,
        ecosystem,
        registered: size,
        after1: share(1),
        after3: share(3),
        after6: share(6),
        after12: share(12),
      };
    })
    .filter((cohort) => cohort.registered > 0)
    .sort((a, b) => a.cohort.localeCompare(b.cohort) || (a.ecosystem ?? "").localeCompare(b.ecosystem ?? ""));
}

export interface SetCoverageTargetResult {
  year: number | null;
  userErrors: UserError[];
}

/** National or per-ecosystem targets of active participants for a year; ADMIN only. */
export async function setCoverageTarget(
  ctx: ServiceContext,
  input: { year: number; ecosystem?: EcosystemCode | null; activeTarget: number },
): Promise<SetCoverageTargetResult> {
  if (ctx.viewer.kind !== "user" || ctx.viewer.role !== "ADMIN") throw forbidden("targets are set by ADMIN");
  return audited<SetCoverageTargetResult>(ctx, "setCoverageTarget", async (tx) => {
    const errors: UserError[] = [];
    if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100) {
      errors.push(userError("INVALID_INPUT", "Year must be between 2000 and 2100", ["input", "year"]));
    }
    if (!Number.isSafeInteger(input.activeTarget) || input.activeTarget < 0) {
      errors.push(
        userError("INVALID_INPUT", "The target is a whole number of participants", ["input", "activeTarget"]),
      );
    }
    if (errors.length > 0) return { result: { year: null, userErrors: errors }, targetIds: [], outcome: "REJECTED" };
    if (input.ecosystem) await upsertEcosystemTarget(tx, input.ecosystem, input.year, input.activeTarget);
    else await upsertNationalTarget(tx, input.year, input.activeTarget);
    return {
      result: { year: input.year, userErrors: [] },
      targetIds: [`target:${input.ecosystem ?? "NATIONAL"}:${input.year}`],
      outcome: "SUCCEEDED",
      details: { activeTarget: input.activeTarget },
    };
  });
}

/**
 * The scheduled job (daily Cron Trigger; `npm run month-end` locally). Statuses move at month
 * end by themselves (they are ranges of paid-through months against today), so the job's work is
 * to prove the rollups: each is compared with a full recount and rebuilt if it drifted.
 */
export async function verifyRollups(db: Database, options: { repair: boolean }) {
  const report: Record<string, { drift: number; repaired: boolean }> = {};
  for (const table of rollupTables) {
    const drift = await db.transaction((tx) => rollupDrift(tx, table));
    if (drift > 0 && options.repair) await db.transaction((tx) => rebuildRollup(tx, table));
    report[table] = { drift, repaired: drift > 0 && options.repair };
  }
  return report;
}
