import { lagTolerantReads, type ServiceContext } from "../../context";
import { ReadOverBudget, readWithinBudget } from "../../db/budget";
import type { Database, Executor, Transaction } from "../../db/client";
import { currentMonth, monthNumber, monthStart } from "../../shared/calendar";
import { badUserInput, forbidden, type UserError, userError } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import { inRegion, type Viewer } from "../access/rules";
import { audited } from "../audit/service";
import type { EcosystemCode } from "../ecosystems/tables";
import type { JobStep } from "../jobs/service";
import { type ExitReason, exitReasons } from "../participants/exit-reasons";
import type { Segment } from "../participants/tables";
import { regionCodesAt } from "../regions/service";
import { rollupFoldHorizon } from "./conditions";
import {
  progress,
  type RetentionOutcomeFigures,
  retentionOutcomeFigures,
  retentionShare,
  type StatusCounts,
  shardsInTurn,
} from "./rules";
import {
  closedMonths,
  closeMonthFigures,
  closeMonthFromParts,
  cohortMonths,
  countCloseOfProvince,
  coverageFigures,
  type DashboardScope,
  type FigureDimension,
  type FigureRow,
  type FunnelDimension,
  type FunnelRow,
  firstRegistrationMonth,
  foldCoverageRollups,
  funnelRows,
  historyRows,
  historySlices,
  membershipChangeRows,
  type RetentionLeaderRow,
  type RollupTable,
  rebuildRollup,
  regionalRetentionRows,
  regionLevel,
  retentionLeaders,
  retentionOutcomeRows,
  retentionRows,
  rollupDrift,
  rollupTables,
  type ShardKind,
  shardKindOf,
  targetsByYear,
  upsertEcosystemTarget,
  upsertNationalTarget,
} from "./store";
import type { HistoryScope, RetentionOutcomeScope } from "./tables";

/**
 * A dashboard's counts: every status today; for a past month, answered from the kept history,
 * only what was kept (registered and active), the statuses null.
 */
export type DashboardCounts = Pick<StatusCounts, "registered" | "active"> & {
  [K in Exclude<keyof StatusCounts, "registered" | "active">]: number | null;
};

export type Slice = DashboardCounts & { key: string; label: string; target: number | null; progress: number | null };

export interface CoverageDashboard extends DashboardCounts {
  /** True when asOf is a past month, answered from the kept monthly history. */
  fromHistory: boolean;
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
    if (!inRegion(scope, viewer.regionCode))
      throw forbidden(msg("FORBIDDEN.officerDashboard", { region: viewer.regionCode }));
    return scope;
  }
  throw forbidden(msg("FORBIDDEN.dashboard"));
}

function countsOf(rows: readonly FigureRow[]): StatusCounts {
  const counts: StatusCounts = { registered: 0, pending: 0, active: 0, grace: 0, inactive: 0, exited: 0 };
  for (const row of rows) {
    counts.registered += row.total;
    counts.pending += row.pending;
    counts.active += row.active;
    counts.grace += row.grace;
    counts.inactive += row.inactive;
    counts.exited += row.exited;
  }
  return counts;
}

function slices(rows: FigureRow[], label: (key: string) => string, target: (key: string) => number | null): Slice[] {
  return rows
    .map((row) => {
      const counts = countsOf([row]);
      const goal = target(row.key);
      return { key: row.key, label: label(row.key), ...counts, target: goal, progress: progress(counts.active, goal) };
    })
    .sort((a, b) => b.active - a.active || a.key.localeCompare(b.key));
}

/** The Indonesian (WIB) calendar year of an instant: targets are per year. */
function wibYear(at: Date): number {
  return Number(monthStart(currentMonth(at)).slice(0, 4));
}

/** Who reads a dashboard, and where its lag-tolerant reads go (`lagTolerantReads`). */
export type DashboardReader = Pick<ServiceContext, "db" | "viewer" | "lagTolerant" | "reportBudgetMs">;

/**
 * Runs a report that counts people live (not from a rollup), on the lag-tolerant reads, within the
 * request's budget: one over it (a year of the whole nation, at tens of millions of participants)
 * is cancelled by the database and answered BAD_USER_INPUT, naming how to narrow it.
 */
async function countedWithinBudget<T>(ctx: DashboardReader, count: (db: Executor) => Promise<T>): Promise<T> {
  const db = lagTolerantReads(ctx);
  if (ctx.reportBudgetMs === undefined) return count(db);
  try {
    return await readWithinBudget(db, ctx.reportBudgetMs, count);
  } catch (error) {
    if (error instanceof ReadOverBudget)
      throw badUserInput(msg("BAD_USER_INPUT.reportTooBroad", { seconds: Math.ceil(error.budgetMs / 1000) }));
    throw error;
  }
}

/**
 * Registered, active, grace and inactive participants against the year's target, by ecosystem,
 * region, segment and sponsor program, all summed from rollups in one statement: no participant
 * row is read.
 */
export async function coverageDashboard(
  ctx: DashboardReader,
  args: DashboardScope & { asOf: Date },
): Promise<CoverageDashboard> {
  const regionCode = dashboardScopeFor(ctx.viewer, args.regionCode);
  const scope = { regionCode, ecosystem: args.ecosystem ?? null, segment: args.segment ?? null };
  const month = currentMonth(args.asOf);
  // Covered months are rolled up by province and ecosystem only.
  const monthOverMonth = !scope.segment && regionLevel(regionCode) <= 1;
  const rows = await coverageFigures(lagTolerantReads(ctx), scope, {
    asOf: args.asOf,
    months: monthOverMonth ? [monthStart(month), monthStart(month - 1)] : [],
    year: wibYear(args.asOf),
  });
  const of = (dimension: FigureDimension) => rows.filter((row) => row.dimension === dimension);
  const totals = countsOf(of("ecosystem"));
  const ecosystemTargets = new Map(of("ecosystemTarget").map((row) => [row.key, row.total]));
  // Targets exist nationally and per ecosystem; a regional or segment scope has none.
  const targeted = !regionCode && !scope.segment;
  const target = !targeted
    ? null
    : scope.ecosystem
      ? (ecosystemTargets.get(scope.ecosystem) ?? null)
      : (of("nationalTarget")[0]?.total ?? null);
  const regionNames = new Map(of("regionName").map((row) => [row.key, row.label ?? row.key]));
  const active = new Map(of("activeInMonth").map((row) => [row.key, row.total]));
  const thisMonth = monthOverMonth ? (active.get(monthStart(month)) ?? 0) : null;
  const lastMonth = monthOverMonth ? (active.get(monthStart(month - 1)) ?? 0) : null;
  return {
    fromHistory: false,
    asOf: args.asOf.toISOString().slice(0, 10),
    regionCode,
    ...totals,
    target,
    progress: progress(totals.active, target),
    byEcosystem: slices(
      of("ecosystem"),
      (key) => key,
      (key) => (targeted ? (ecosystemTargets.get(key) ?? null) : null),
    ),
    // A district's own row is not a breakdown: villages are not rolled up.
    byRegion:
      regionLevel(regionCode) >= 3
        ? []
        : slices(
            of("region"),
            (key) => regionNames.get(key) ?? key,
            () => null,
          ),
    bySegment: slices(
      of("segment"),
      (key) => key,
      () => null,
    ),
    bySponsorProgram: slices(
      of("sponsorProgram"),
      (key) => key,
      () => null,
    ),
    activeThisMonth: thisMonth,
    activeLastMonth: lastMonth,
    netGrowth: thisMonth === null || lastMonth === null ? null : thisMonth - lastMonth,
  };
}

export interface EcosystemCoverage {
  registered: number;
  active: number;
  target: number | null;
  progress: number | null;
}

/** Public national totals of one ecosystem against this year's target (no caller check: public). */
export async function ecosystemCoverage(
  ctx: { db: Database },
  ecosystem: EcosystemCode,
  now: Date,
): Promise<EcosystemCoverage> {
  const rows = await coverageFigures(
    lagTolerantReads(ctx),
    { ecosystem },
    { asOf: now, months: [], year: wibYear(now) },
  );
  const counts = countsOf(rows.filter((row) => row.dimension === "ecosystem"));
  const target = rows.find((row) => row.dimension === "ecosystemTarget" && row.key === ecosystem)?.total ?? null;
  return { registered: counts.registered, active: counts.active, target, progress: progress(counts.active, target) };
}

export interface RetentionCohort {
  cohort: string;
  ecosystem: EcosystemCode | null;
  /** The province or regency of a regional cohort; null for national ones. */
  regionCode: string | null;
  registered: number;
  /** Share with coverage 1, 3, 6 and 12 months after the registration month; null until then. */
  after1: number | null;
  after3: number | null;
  after6: number | null;
  after12: number | null;
}

/**
 * Which cohorts a caller may read: national ones (overall, per ecosystem) are ADMIN's; a province's
 * or regency's are ADMIN's and, inside their own region, an officer's (who reads their own by default).
 */
function cohortScopeFor(viewer: Viewer, regionCode: string | null | undefined): string | null {
  if (viewer.kind === "user" && viewer.role === "ADMIN") return regionCode ?? null;
  if (viewer.kind === "user" && viewer.role === "OFFICER" && viewer.regionCode) {
    const scope = regionCode ?? viewer.regionCode;
    if (!inRegion(scope, viewer.regionCode) || regionLevel(scope) > 2) {
      throw forbidden(msg("FORBIDDEN.officerCohorts", { region: viewer.regionCode }));
    }
    return scope;
  }
  throw forbidden(msg("FORBIDDEN.cohorts"));
}

/** Retention cohorts by registration month: overall, per ecosystem, or of a province or regency. */
export async function retentionCohorts(
  ctx: DashboardReader,
  args: {
    from: string;
    to: string;
    asOf: Date;
    ecosystem?: EcosystemCode | null;
    perEcosystem: boolean;
    regionCode?: string | null;
  },
): Promise<RetentionCohort[]> {
  const regionCode = cohortScopeFor(ctx.viewer, args.regionCode);
  if (regionCode !== null && (args.ecosystem || args.perEcosystem)) {
    throw badUserInput(msg("BAD_USER_INPUT.regionalCohorts"));
  }
  const rows =
    regionCode === null
      ? await retentionRows(lagTolerantReads(ctx), args.from, args.to, args.ecosystem)
      : (await regionalRetentionRows(lagTolerantReads(ctx), args.from, args.to, regionCode)).map((row) => ({
          ...row,
          ecosystemCode: null,
        }));
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
        regionCode,
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

export interface RetentionOutcomes extends RetentionOutcomeFigures {
  month: string;
  scope: RetentionOutcomeScope;
  /** The region, ecosystem, sponsor or registrant; null for national figures. */
  scopeKey: string | null;
}

export interface RetentionOutcomeArgs {
  from: string;
  to: string;
  asOf: Date;
  regionCode?: string | null;
  ecosystem?: EcosystemCode | null;
  sponsorId?: number | null;
  registrantId?: number | null;
}

/** At most this many months per request: two years of monthly rows. */
export const retentionOutcomeMaxMonths = 24;

/**
 * Whose outcomes a caller may read, as a rollup scope: ADMIN any (national by default); an
 * OFFICER their province or regency, or one inside it; a sponsor (its login, or a partner key
 * acting for it) its own workers; a Nyalakan registrant the workers they registered. The same
 * people who see those workers one by one (participants/conditions.ts), never wider.
 */
export function retentionOutcomeScopeFor(
  viewer: Viewer,
  args: Pick<RetentionOutcomeArgs, "regionCode" | "ecosystem" | "sponsorId" | "registrantId">,
): { scope: RetentionOutcomeScope; scopeKey: string } {
  const given = [args.regionCode, args.ecosystem, args.sponsorId, args.registrantId].filter((v) => v != null);
  if (given.length > 1) throw badUserInput(msg("BAD_USER_INPUT.outcomeScopes"));
  if (args.regionCode != null && regionLevel(args.regionCode) > 2) {
    throw badUserInput(msg("BAD_USER_INPUT.outcomeRegion"));
  }
  const region = (code: string) =>
    ({ scope: regionLevel(code) === 1 ? "PROVINCE" : "REGENCY", scopeKey: code }) as const;
  if (viewer.kind !== "user") throw forbidden(msg("FORBIDDEN.outcomesCaller"));
  if (viewer.role === "ADMIN") {
    if (args.regionCode != null) return region(args.regionCode);
    if (args.ecosystem != null) return { scope: "ECOSYSTEM", scopeKey: args.ecosystem };
    if (args.sponsorId != null) return { scope: "SPONSOR", scopeKey: String(args.sponsorId) };
    if (args.registrantId != null) return { scope: "REGISTRANT", scopeKey: String(args.registrantId) };
    return { scope: "NATIONAL", scopeKey: "" };
  }
  if (viewer.role === "OFFICER" && viewer.regionCode) {
    const code = args.regionCode ?? viewer.regionCode;
    if (
      given.length > (args.regionCode != null ? 1 : 0) ||
      !inRegion(code, viewer.regionCode) ||
      regionLevel(code) > 2
    ) {
      throw forbidden(msg("FORBIDDEN.officerOutcomes", { region: viewer.regionCode }));
    }
    return region(code);
  }
  if ((viewer.role === "SPONSOR" || viewer.role === "PARTNER") && viewer.sponsorId != null) {
    if (
      (args.sponsorId != null && args.sponsorId !== viewer.sponsorId) ||
      given.length > (args.sponsorId != null ? 1 : 0)
    ) {
      throw forbidden(msg("FORBIDDEN.sponsorOutcomes"));
    }
    return { scope: "SPONSOR", scopeKey: String(viewer.sponsorId) };
  }
  if (viewer.role === "PARTICIPANT" && viewer.participantId != null) {
    if (
      (args.registrantId != null && args.registrantId !== viewer.participantId) ||
      given.length > (args.registrantId != null ? 1 : 0)
    ) {
      throw forbidden(msg("FORBIDDEN.registrantOutcomes"));
    }
    return { scope: "REGISTRANT", scopeKey: String(viewer.participantId) };
  }
  throw forbidden(msg("FORBIDDEN.outcomes"));
}

/**
 * Grace episodes by the month they began, for one scope: entered, recovered, lapsed, won back,
 * with and without outreach. One key range of the rollup; whether a month's window has closed is
 * decided here against `asOf`, the clock statuses use.
 */
export async function retentionOutcomes(
  ctx: DashboardReader,
  args: RetentionOutcomeArgs,
): Promise<RetentionOutcomes[]> {
  const { scope, scopeKey } = retentionOutcomeScopeFor(ctx.viewer, args);
  const from = monthNumber(args.from);
  const to = monthNumber(args.to);
  const asOfMonth = currentMonth(args.asOf);
  if (to < from) throw badUserInput(msg("BAD_USER_INPUT.outcomeRange"));
  if (to - from + 1 > retentionOutcomeMaxMonths)
    throw badUserInput(msg("BAD_USER_INPUT.outcomeMonths", { max: retentionOutcomeMaxMonths }));
  // Later months' episodes have not begun; the rollup holds them only as paid-ahead workers' next due month.
  if (to > asOfMonth) throw badUserInput(msg("BAD_USER_INPUT.outcomeFuture"));
  const rows = new Map(
    (await retentionOutcomeRows(lagTolerantReads(ctx), scope, scopeKey, monthStart(from), monthStart(to))).map(
      (row) => [row.month, row],
    ),
  );
  const none = { entered: 0, enteredWithOutreach: 0, recovered: 0, recoveredWithOutreach: 0, lapsed: 0, wonBack: 0 };
  const result: RetentionOutcomes[] = [];
  for (let month = from; month <= to; month += 1) {
    const counts = rows.get(monthStart(month)) ?? none;
    result.push({
      month: monthStart(month),
      scope,
      scopeKey: scope === "NATIONAL" ? null : scopeKey,
      ...retentionOutcomeFigures(counts, month, asOfMonth),
    });
  }
  return result;
}

export interface SetCoverageTargetResult {
  year: number | null;
  userErrors: UserError[];
}

/** National or per-ecosystem targets of active participants for a year; ADMIN only. */
export async function setCoverageTarget(
  ctx: ServiceContext,
  input: { year: number; ecosystem?: EcosystemCode | null; activeTarget: number; source?: string | null },
): Promise<SetCoverageTargetResult> {
  if (!may(ctx.viewer, "coverageTarget:set")) throw forbidden(msg("FORBIDDEN.targets"));
  return audited<SetCoverageTargetResult>(ctx, "setCoverageTarget", async (tx) => {
    const errors: UserError[] = [];
    if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100) {
      errors.push(userError("INVALID_INPUT", msg("INVALID_INPUT.year"), ["input", "year"]));
    }
    if (!Number.isSafeInteger(input.activeTarget) || input.activeTarget < 0) {
      errors.push(userError("INVALID_INPUT", msg("INVALID_INPUT.target"), ["input", "activeTarget"]));
    }
    const source = input.source?.trim() || null;
    if (source !== null && source.length > 300) {
      errors.push(userError("INVALID_INPUT", msg("INVALID_INPUT.targetSource"), ["input", "source"]));
    }
    if (errors.length > 0) return { result: { year: null, userErrors: errors }, targetIds: [], outcome: "REJECTED" };
    if (input.ecosystem) await upsertEcosystemTarget(tx, input.ecosystem, input.year, input.activeTarget, source);
    else await upsertNationalTarget(tx, input.year, input.activeTarget, source);
    return {
      result: { year: input.year, userErrors: [] },
      targetIds: [`target:${input.ecosystem ?? "NATIONAL"}:${input.year}`],
      outcome: "SUCCEEDED",
      details: { activeTarget: input.activeTarget, source },
    };
  });
}

/** Moves the fold horizon to today's (run by the daily job); returns the rollup rows folded away. */
export async function foldLapsedRollups(db: Database, now: Date): Promise<number> {
  const before = rollupFoldHorizon(now);
  return db.transaction((tx) => foldCoverageRollups(tx, before));
}

/**
 * Over how many days each kind of shard is proved. The regencies' proofs (the retention outcomes)
 * cost more in all than the data grows (83 s at 1 M, 365 s at 2.5 M: bench/RESULTS-SCALE.md), so
 * each regency is proved once a week, a seventh of them each day. The triggers keep the rollup
 * exact as it is written; the proof is the safety net, and a week is the longest a drift can show
 * before it is repaired (`verifyRollups` and `npm run month-end` still prove everything at once).
 */
export const proofRotationDays: Record<ShardKind, number> = { PROVINCE: 1, REGENCY: 7, COHORT: 1 };

/** `everyShard`: prove every shard today, the rotation aside (a run by hand: `npm run month-end`). */
export interface DailyProofs {
  everyShard?: boolean;
}

/**
 * The daily job's steps, in order, each one transaction (the job runner checkpoints each with its
 * work): fold long-lapsed rollup months, prove each rollup against a full recount (rebuilding it
 * on drift) shard by shard (by province; the retention outcomes by regency, in a weekly rotation;
 * the cohort retention rollup by cohort month), then close last month into the history and the
 * two before it again, each month counted province by province and then summed. A step is the
 * unit a cut-off run resumes from, and the unit an invocation's budget counts in: no step reads
 * more than a province's participants or a month's registrations.
 */
export function dailyRollupSteps(
  now: Date,
  shards: Record<ShardKind, readonly string[]>,
  options: DailyProofs = {},
): JobStep[] {
  const verify = (table: RollupTable, shard: string): JobStep => ({
    name: `verify:${table}:${shard}`,
    run: async (tx: Transaction) => {
      const drift = await rollupDrift(tx, table, shard);
      if (drift > 0) await rebuildRollup(tx, table, shard);
      return { drift, repaired: drift > 0 };
    },
  });
  return [
    { name: "fold-lapsed", run: async (tx) => ({ folded: await foldCoverageRollups(tx, rollupFoldHorizon(now)) }) },
    ...rollupTables.flatMap((table) => {
      const kind = shardKindOf(table);
      const proved = options.everyShard ? shards[kind] : shardsInTurn(shards[kind], now, proofRotationDays[kind]);
      return proved.map((shard) => verify(table, shard));
    }),
    ...[3, 2, 1].flatMap((back): JobStep[] => {
      const month = monthStart(currentMonth(now) - back);
      return [
        ...shards.PROVINCE.map((province) => ({
          name: `close:${month.slice(0, 7)}:${province}`,
          run: async (tx: Transaction) => ({ partRows: await countCloseOfProvince(tx, month, province) }),
        })),
        {
          name: `close:${month.slice(0, 7)}`,
          run: async (tx: Transaction) => ({
            historyRows: await closeMonthFromParts(tx, month, { now, reconstructed: false }),
          }),
        },
      ];
    }),
  ];
}

/** The daily job's steps for a database: its provinces, regencies and cohort months are the rollups' shards. */
export async function dailyRollupStepsFor(db: Database, now: Date, options: DailyProofs = {}): Promise<JobStep[]> {
  return dailyRollupSteps(
    now,
    {
      PROVINCE: await regionCodesAt(db, "PROVINCE"),
      REGENCY: await regionCodesAt(db, "REGENCY"),
      COHORT: await cohortMonths(db, now),
    },
    options,
  );
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

/** The most months one `membershipChanges` answer spans: three years, the growth story's horizon. */
export const membershipChangesMaxMonths = 36;

export interface MembershipChangesMonth {
  month: string;
  /** Members who left for good in the month, by reason (every reason, zero included). */
  exits: { reason: ExitReason; participants: number }[];
  exited: number;
  movedToPu: number;
  movedToBpu: number;
  /** Former members who registered again: won back. */
  returned: number;
}

/**
 * Why membership changed, month by month (the fall the active count shows): exits by reason, moves
 * between BPU and PU, and former members won back, for the caller's dashboard scope.
 */
export async function membershipChanges(
  ctx: DashboardReader,
  args: { from: string; to: string; regionCode?: string | null; ecosystem?: EcosystemCode | null; asOf: Date },
): Promise<MembershipChangesMonth[]> {
  const regionCode = dashboardScopeFor(ctx.viewer, args.regionCode);
  const from = monthNumber(args.from);
  const to = monthNumber(args.to);
  if (to < from) throw badUserInput(msg("BAD_USER_INPUT.outcomeRange"));
  if (to - from + 1 > membershipChangesMaxMonths)
    throw badUserInput(msg("BAD_USER_INPUT.outcomeMonths", { max: membershipChangesMaxMonths }));
  if (to > currentMonth(args.asOf)) throw badUserInput(msg("BAD_USER_INPUT.changesFuture"));
  const rows = await membershipChangeRows(
    lagTolerantReads(ctx),
    { regionCode, ecosystem: args.ecosystem ?? null },
    monthStart(from),
    monthStart(to),
  );
  const result: MembershipChangesMonth[] = [];
  for (let month = from; month <= to; month += 1) {
    const of = rows.filter((row) => row.month === monthStart(month));
    const count = (kind: string, reason: string | null = null) =>
      of
        .filter((row) => row.kind === kind && (reason === null || row.reason === reason))
        .reduce((n, row) => n + row.participants, 0);
    result.push({
      month: monthStart(month),
      exits: exitReasons.map((reason) => ({ reason, participants: count("EXIT", reason) })),
      exited: count("EXIT"),
      movedToPu: count("MOVED_TO_PU"),
      movedToBpu: count("MOVED_TO_BPU"),
      returned: count("RETURNED"),
    });
  }
  return result;
}

/** The most months one coverageHistory answer spans: five years, 2024's target to 2028's. */
export const coverageHistoryMaxMonths = 60;

/**
 * Closes a month that has ended: its figures kept as a new revision wherever they changed (the
 * first close writes revision 1). The daily job closes last month, and closes the two before it
 * again, so a late refund, back-dated settlement or exit shows as a revision, not a silent edit.
 */
export async function closeCoverageMonth(
  db: Database,
  month: string,
  now: Date,
  options: { reconstructed?: boolean } = {},
): Promise<number> {
  if (monthNumber(month) >= currentMonth(now)) throw new Error(`${month} has not ended on ${now.toISOString()}`);
  return db.transaction((tx) =>
    closeMonthFigures(tx, monthStart(monthNumber(month)), { now, reconstructed: options.reconstructed ?? false }),
  );
}

/**
 * Reconstructs the months before history was kept, from the first registration to last month,
 * skipping months already closed; each is marked `reconstructed` (docs/apps.md, "Growth over time").
 */
export async function backfillCoverageHistory(db: Database, now: Date): Promise<number> {
  const first = await firstRegistrationMonth(db);
  if (first === null) return 0;
  const closed = await closedMonths(db);
  let months = 0;
  for (let month = monthNumber(first); month < currentMonth(now); month += 1) {
    if (closed.has(monthStart(month))) continue;
    await closeCoverageMonth(db, monthStart(month), now, { reconstructed: true });
    months += 1;
  }
  return months;
}

export interface CoverageHistoryMonth {
  month: string;
  /** Null for a month not closed (kept) yet. */
  registered: number | null;
  active: number | null;
  /** The year's active target for the nation or the ecosystem asked about; null elsewhere or unset. */
  target: number | null;
  /** Where that target comes from. */
  targetSource: string | null;
  /** target - active: how far the month was from its year's target. */
  gapToTarget: number | null;
  revision: number | null;
  reconstructed: boolean | null;
}

/**
 * The growth line: each closed month's registered and active participants of one scope (the
 * nation, a province or regency, an ecosystem, a segment or a channel), with its year's target.
 * The dashboard's readers and scopes: ADMIN anywhere, an officer in their region (their own by default).
 */
export async function coverageHistory(
  ctx: DashboardReader,
  args: {
    from: string;
    to: string;
    now: Date;
    regionCode?: string | null;
    ecosystem?: EcosystemCode | null;
    segment?: Segment | null;
    channel?: string | null;
  },
): Promise<CoverageHistoryMonth[]> {
  const given = [args.regionCode, args.ecosystem, args.segment, args.channel].filter((value) => value != null);
  if (given.length > 1) throw badUserInput(msg("BAD_USER_INPUT.historyScopes"));
  const region = dashboardScopeFor(ctx.viewer, args.regionCode);
  // An officer's history is their region's (their own by default), never a national slice.
  if (region !== null && given.length > (args.regionCode != null ? 1 : 0))
    throw badUserInput(msg("BAD_USER_INPUT.historyScopes"));
  if (region !== null && region.split(".").length > 2) throw badUserInput(msg("BAD_USER_INPUT.historyRegion"));
  const from = monthNumber(args.from);
  const to = monthNumber(args.to);
  if (to < from) throw badUserInput(msg("BAD_USER_INPUT.outcomeRange"));
  if (to - from + 1 > coverageHistoryMaxMonths)
    throw badUserInput(msg("BAD_USER_INPUT.outcomeMonths", { max: coverageHistoryMaxMonths }));
  if (to >= currentMonth(args.now)) throw badUserInput(msg("BAD_USER_INPUT.historyFuture"));
  const scope: { scope: HistoryScope; key: string } =
    region !== null
      ? { scope: region.length === 2 ? "PROVINCE" : "REGENCY", key: region }
      : args.ecosystem
        ? { scope: "ECOSYSTEM", key: args.ecosystem }
        : args.segment
          ? { scope: "SEGMENT", key: args.segment }
          : args.channel
            ? { scope: "CHANNEL", key: args.channel }
            : { scope: "NATIONAL", key: "" };
  const rows = new Map(
    (await historyRows(lagTolerantReads(ctx), scope, monthStart(from), monthStart(to))).map((row) => [row.month, row]),
  );
  const yearOf = (month: number) => Number(monthStart(month).slice(0, 4));
  const targets =
    scope.scope === "NATIONAL" || scope.scope === "ECOSYSTEM"
      ? await targetsByYear(lagTolerantReads(ctx), args.ecosystem ?? null, yearOf(from), yearOf(to))
      : new Map<number, { target: number; source: string | null }>();
  const series: CoverageHistoryMonth[] = [];
  for (let month = from; month <= to; month += 1) {
    const row = rows.get(monthStart(month));
    const goal = targets.get(yearOf(month));
    const target = goal?.target ?? null;
    series.push({
      month: monthStart(month),
      registered: row?.registered ?? null,
      active: row?.active ?? null,
      target,
      targetSource: goal?.source ?? null,
      gapToTarget: target !== null && row ? target - row.active : null,
      revision: row?.revision ?? null,
      reconstructed: row?.reconstructed ?? null,
    });
  }
  return series;
}

/**
 * A past month's dashboard, from the kept history (`coverage_history`): registered and active for
 * the scope, its children (provinces for the nation, regencies for a province) and, nationally, its
 * ecosystems and segments, at their latest revision; statuses and sponsor programs were not kept,
 * so they are null and empty. One scope at a time, as history is kept; a month not kept is refused.
 */
export async function historyDashboard(
  ctx: DashboardReader,
  args: DashboardScope & { asOf: Date; now: Date },
): Promise<CoverageDashboard> {
  const regionCode = dashboardScopeFor(ctx.viewer, args.regionCode);
  if ([regionCode, args.ecosystem, args.segment].filter((value) => value != null).length > 1) {
    throw badUserInput(msg("BAD_USER_INPUT.historyScopes"));
  }
  if (regionCode !== null && regionCode.split(".").length > 2) throw badUserInput(msg("BAD_USER_INPUT.historyRegion"));
  const month = monthStart(currentMonth(args.asOf));
  const scope: { scope: HistoryScope; key: string } =
    regionCode !== null
      ? { scope: regionCode.length === 2 ? "PROVINCE" : "REGENCY", key: regionCode }
      : args.ecosystem
        ? { scope: "ECOSYSTEM", key: args.ecosystem }
        : args.segment
          ? { scope: "SEGMENT", key: args.segment }
          : { scope: "NATIONAL", key: "" };
  const previous = monthStart(currentMonth(args.asOf) - 1);
  const own = new Map(
    (await historyRows(lagTolerantReads(ctx), scope, previous, month)).map((row) => [row.month, row]),
  );
  const figures = own.get(month);
  if (!figures) throw badUserInput(msg("BAD_USER_INPUT.historyNotKept", { month: month.slice(0, 7) }));
  const slicesOf = async (childScope: HistoryScope, keyPrefix: string | null): Promise<Slice[]> =>
    (await historySlices(lagTolerantReads(ctx), childScope, keyPrefix, month)).map((row) => ({
      key: row.key,
      label: row.key,
      registered: row.registered,
      active: row.active,
      pending: null,
      grace: null,
      inactive: null,
      exited: null,
      target: null,
      progress: null,
    }));
  const national = scope.scope === "NATIONAL";
  const targets =
    national || scope.scope === "ECOSYSTEM"
      ? await targetsByYear(lagTolerantReads(ctx), args.ecosystem ?? null, wibYear(args.asOf), wibYear(args.asOf))
      : new Map<number, { target: number; source: string | null }>();
  const target = targets.get(wibYear(args.asOf))?.target ?? null;
  const lastMonth = own.get(previous)?.active ?? null;
  return {
    fromHistory: true,
    asOf: args.asOf.toISOString().slice(0, 10),
    regionCode,
    registered: figures.registered,
    active: figures.active,
    pending: null,
    grace: null,
    inactive: null,
    exited: null,
    target,
    progress: progress(figures.active, target),
    byEcosystem: national ? await slicesOf("ECOSYSTEM", null) : [],
    byRegion: national
      ? await slicesOf("PROVINCE", null)
      : scope.scope === "PROVINCE"
        ? await slicesOf("REGENCY", `${scope.key}.`)
        : [],
    bySegment: national ? await slicesOf("SEGMENT", null) : [],
    bySponsorProgram: [],
    activeThisMonth: figures.active,
    activeLastMonth: lastMonth,
    netGrowth: lastMonth === null ? null : figures.active - lastMonth,
  };
}

/** How a funnel may be split: how people came in, ecosystem, or child region. */
export { funnelDimensions } from "./store";

/** The most registration months one funnel answer spans. */
export const funnelMaxMonths = 24;

export interface FunnelCohort extends FunnelRow {
  /** Shares of the cohort covered 3, 6 and 12 months on; null while that month has not come. */
  activeShare3: number | null;
  activeShare6: number | null;
  activeShare12: number | null;
}

/** Checks a funnel's months: `to` not before `from`, at most 24, none in the future. */
function funnelMonths(from: string, to: string, now: Date): { from: number; to: number } {
  const first = monthNumber(from);
  const last = monthNumber(to);
  if (last < first) throw badUserInput(msg("BAD_USER_INPUT.outcomeRange"));
  if (last - first + 1 > funnelMaxMonths)
    throw badUserInput(msg("BAD_USER_INPUT.outcomeMonths", { max: funnelMaxMonths }));
  if (last > currentMonth(now)) throw badUserInput(msg("BAD_USER_INPUT.changesFuture"));
  return { from: first, to: last };
}

/**
 * The registration funnel: for each registration month, by how people came in (self, a Nyalakan
 * registrant, a sponsor), ecosystem or child region, who paid within 30 days, later or never, and
 * the share still covered 3, 6 and 12 months on. The dashboard's readers and scopes.
 */
export async function registrationFunnel(
  ctx: DashboardReader,
  args: { from: string; to: string; regionCode?: string | null; by: FunnelDimension; now: Date },
): Promise<FunnelCohort[]> {
  const regionCode = dashboardScopeFor(ctx.viewer, args.regionCode);
  const months = funnelMonths(args.from, args.to, args.now);
  const current = currentMonth(args.now);
  const rows = await countedWithinBudget(ctx, (db) =>
    funnelRows(db, { from: monthStart(months.from), to: monthStart(months.to), regionCode, by: args.by }),
  );
  return rows.map((row) => {
    const cohort = monthNumber(row.cohort);
    const share = (active: number, after: number) => retentionShare(row.registered, active, cohort, after, current);
    return {
      ...row,
      activeShare3: share(row.activeAt3, 3),
      activeShare6: share(row.activeAt6, 6),
      activeShare12: share(row.activeAt12, 12),
    };
  });
}

export interface RetentionLeader extends RetentionLeaderRow {
  activeShare6: number;
}

/**
 * The Nyalakan registrants and sponsors whose workers stay: the best and worst five of each by the
 * share of the workers they brought in (at least five, registered six months ago or earlier)
 * covered six months later, for the officers who run Nyalakan.
 */
export async function retentionLeaderboard(
  ctx: DashboardReader,
  args: { from: string; to: string; regionCode?: string | null; now: Date },
): Promise<{ best: RetentionLeader[]; worst: RetentionLeader[] }> {
  const regionCode = dashboardScopeFor(ctx.viewer, args.regionCode);
  const months = funnelMonths(args.from, args.to, args.now);
  // Only cohorts whose sixth month has come count: a younger one would read as lapsed.
  const last = Math.min(months.to, currentMonth(args.now) - 6);
  if (last < months.from) return { best: [], worst: [] };
  const rows = (
    await countedWithinBudget(ctx, (db) =>
      retentionLeaders(db, { from: monthStart(months.from), to: monthStart(last), regionCode, minimum: 5 }),
    )
  ).map((row) => ({ ...row, activeShare6: row.activeAt6 / row.registered }));
  const ranked = (kind: RetentionLeaderRow["kind"], direction: 1 | -1) =>
    rows
      .filter((row) => row.kind === kind)
      .sort((a, b) => direction * (b.activeShare6 - a.activeShare6) || b.registered - a.registered || a.id - b.id)
      .slice(0, 5);
  return {
    best: [...ranked("REGISTRANT", 1), ...ranked("SPONSOR", 1)],
    worst: [...ranked("REGISTRANT", -1), ...ranked("SPONSOR", -1)],
  };
}
