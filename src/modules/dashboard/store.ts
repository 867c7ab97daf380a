import { and, eq, inArray, like, type SQL, sql } from "drizzle-orm";
import type { Database, Executor, Transaction } from "../../db/client";
import type { EcosystemCode } from "../ecosystems/tables";
import { ecosystemTargets } from "../ecosystems/tables";
import type { Segment } from "../participants/tables";
import { regions } from "../regions/tables";
import { coverageRollups, monthlyActiveRollups, nationalTargets, retentionRollups } from "./tables";

export interface DashboardScope {
  /** A region at any level; national when absent. */
  regionCode?: string | null;
  ecosystem?: EcosystemCode | null;
  segment?: Segment | null;
}

export type Bucket = { key: string; paidThrough: string | null; participants: number };

/** 1 province, 2 regency, 3 district; 0 national. Village scopes are answered at their district's grain. */
export function regionLevel(regionCode: string | null | undefined): number {
  return regionCode ? Math.min(regionCode.split(".").length, 3) : 0;
}

function scopeFilters(scope: DashboardScope): SQL[] {
  const filters: SQL[] = [];
  if (scope.ecosystem) filters.push(eq(coverageRollups.ecosystemCode, scope.ecosystem));
  if (scope.segment) filters.push(eq(coverageRollups.segment, scope.segment));
  return filters;
}

/**
 * Paid-through buckets of the scope, broken down by ecosystem, segment and sponsor program in one
 * grouped scan of the rollup rows at the scope's level (province rows for national figures).
 */
export async function scopeBuckets(db: Database, scope: DashboardScope) {
  const level = regionLevel(scope.regionCode);
  const regionCode = scope.regionCode ? scope.regionCode.split(".").slice(0, 3).join(".") : null;
  const rows = await db
    .select({
      dimension: sql<string>`case
        when grouping(${coverageRollups.ecosystemCode}) = 0 then 'ecosystem'
        when grouping(${coverageRollups.segment}) = 0 then 'segment'
        else 'sponsorProgram' end`,
      key: sql<string>`coalesce(${coverageRollups.ecosystemCode}::text, ${coverageRollups.segment}::text, ${coverageRollups.sponsorProgram})`,
      paidThrough: sql<string | null>`${coverageRollups.paidThrough}::text`,
      participants: sql<number>`sum(${coverageRollups.participants})`.mapWith(Number),
    })
    .from(coverageRollups)
    .where(
      and(
        eq(coverageRollups.regionLevel, Math.max(level, 1)),
        regionCode ? eq(coverageRollups.regionCode, regionCode) : undefined,
        ...scopeFilters(scope),
      ),
    )
    .groupBy(
      sql`grouping sets ((${coverageRollups.ecosystemCode}, ${coverageRollups.paidThrough}), (${coverageRollups.segment}, ${coverageRollups.paidThrough}), (${coverageRollups.sponsorProgram}, ${coverageRollups.paidThrough}))`,
    );
  const by = (dimension: string): Bucket[] =>
    rows
      .filter((row) => row.dimension === dimension)
      .map(({ key, paidThrough, participants }) => ({ key, paidThrough, participants }));
  return { ecosystem: by("ecosystem"), segment: by("segment"), sponsorProgram: by("sponsorProgram") };
}

/** Paid-through buckets of each region one level below the scope (provinces for national figures). */
export async function regionBuckets(db: Database, scope: DashboardScope): Promise<(Bucket & { name: string })[]> {
  const level = regionLevel(scope.regionCode);
  if (level >= 3) return [];
  const prefix = scope.regionCode ? `${scope.regionCode}.%` : undefined;
  return db
    .select({
      key: coverageRollups.regionCode,
      name: regions.name,
      paidThrough: sql<string | null>`${coverageRollups.paidThrough}::text`,
      participants: sql<number>`sum(${coverageRollups.participants})`.mapWith(Number),
    })
    .from(coverageRollups)
    .innerJoin(regions, eq(regions.code, coverageRollups.regionCode))
    .where(
      and(
        eq(coverageRollups.regionLevel, level + 1),
        prefix ? like(coverageRollups.regionCode, prefix) : undefined,
        ...scopeFilters(scope),
      ),
    )
    .groupBy(coverageRollups.regionCode, regions.name, coverageRollups.paidThrough);
}

/** Participants with coverage in each of these months (exact history from covered months). */
export async function activeByMonth(
  db: Database,
  months: string[],
  scope: { provinceCode?: string | null; ecosystem?: EcosystemCode | null },
) {
  const rows = await db
    .select({
      month: sql<string>`${monthlyActiveRollups.month}::text`,
      participants: sql<number>`sum(${monthlyActiveRollups.participants})`.mapWith(Number),
    })
    .from(monthlyActiveRollups)
    .where(
      and(
        inArray(monthlyActiveRollups.month, months),
        scope.provinceCode ? eq(monthlyActiveRollups.provinceCode, scope.provinceCode) : undefined,
        scope.ecosystem ? eq(monthlyActiveRollups.ecosystemCode, scope.ecosystem) : undefined,
      ),
    )
    .groupBy(monthlyActiveRollups.month);
  return new Map(rows.map((row) => [row.month, row.participants]));
}

export async function retentionRows(db: Database, from: string, to: string, ecosystem?: EcosystemCode | null) {
  return db
    .select({
      cohortMonth: sql<string>`${retentionRollups.cohortMonth}::text`,
      ecosystemCode: retentionRollups.ecosystemCode,
      monthsAfter: retentionRollups.monthsAfter,
      participants: retentionRollups.participants,
    })
    .from(retentionRollups)
    .where(
      and(
        sql`${retentionRollups.cohortMonth} between ${from}::date and ${to}::date`,
        ecosystem ? eq(retentionRollups.ecosystemCode, ecosystem) : undefined,
      ),
    );
}

export async function targetsFor(db: Database, year: number) {
  const [national] = await db.select().from(nationalTargets).where(eq(nationalTargets.year, year));
  const byEcosystem = await db.select().from(ecosystemTargets).where(eq(ecosystemTargets.year, year));
  return {
    national: national?.activeTarget ?? null,
    ecosystem: new Map(byEcosystem.map((row) => [row.ecosystemCode as string, row.activeTarget])),
  };
}

export async function upsertNationalTarget(db: Executor, year: number, activeTarget: number) {
  await db
    .insert(nationalTargets)
    .values({ year, activeTarget })
    .onConflictDoUpdate({ target: nationalTargets.year, set: { activeTarget } });
}

export async function upsertEcosystemTarget(
  db: Executor,
  ecosystemCode: EcosystemCode,
  year: number,
  activeTarget: number,
) {
  await db
    .insert(ecosystemTargets)
    .values({ ecosystemCode, year, activeTarget })
    .onConflictDoUpdate({ target: [ecosystemTargets.ecosystemCode, ecosystemTargets.year], set: { activeTarget } });
}

/** What the rollups should hold, recounted from participants and covered months. */
const expected = {
  coverage_rollups: sql`select left(p.village_code, l.len) as region_code, l.level as region_level, p.ecosystem_code,
      p.segment, coalesce(s.program::text, 'NONE') as sponsor_program, p.paid_through, count(*)::bigint as participants
    from participants p cross join (values (1, 2), (2, 5), (3, 8)) as l(level, len) left join sponsors s on s.id = p.sponsor_id
    group by 1, 2, 3, 4, 5, 6`,
  monthly_active_rollups: sql`select c.month, left(p.village_code, 2) as province_code, p.ecosystem_code, count(*)::bigint as participants
    from covered_months c join participants p on p.id = c.participant_id group by 1, 2, 3`,
  retention_rollups: sql`select wib_month(p.registered_at) as cohort_month, p.ecosystem_code, 0::smallint as months_after, count(*)::bigint as participants
      from participants p group by 1, 2
    union all
    select wib_month(p.registered_at), p.ecosystem_code, (month_index(c.month) - month_index(wib_month(p.registered_at)))::smallint, count(*)::bigint
      from covered_months c join participants p on p.id = c.participant_id
      where month_index(c.month) - month_index(wib_month(p.registered_at)) in (1, 3, 6, 12) group by 1, 2, 3`,
} as const;

const keys: Record<string, string[]> = {
  coverage_rollups: ["region_code", "ecosystem_code", "segment", "sponsor_program", "paid_through"],
  monthly_active_rollups: ["month", "province_code", "ecosystem_code"],
  retention_rollups: ["cohort_month", "ecosystem_code", "months_after"],
};

export type RollupTable = keyof typeof expected;
export const rollupTables = Object.keys(expected) as RollupTable[];

/**
 * Keys whose count differs between a rollup and a full recount (a zero count and a missing row are
 * the same). EXCEPT compares nulls as equal, which a join on the key would not (never-paid rows).
 */
export async function rollupDrift(tx: Transaction, table: RollupTable): Promise<number> {
  const key = sql.raw((keys[table] ?? []).join(", "));
  const result = await tx.execute(sql`
    with expected as (select ${key}, participants from (${expected[table]}) recount),
         actual as (select ${key}, participants from ${sql.identifier(table)} where participants <> 0)
    select count(*)::int as drift from (
      select ${key} from (select * from expected except select * from actual) missing
      union
      select ${key} from (select * from actual except select * from expected) extra
    ) differing`);
  return Number((result as unknown as { rows: { drift: number }[] }).rows[0]?.drift ?? 0);
}

/** Replaces a rollup with its recount, holding writers off the base tables meanwhile. */
export async function rebuildRollup(tx: Transaction, table: RollupTable) {
  await tx.execute(sql`lock table participants, covered_months in share row exclusive mode`);
  await tx.execute(sql`delete from ${sql.identifier(table)}`);
  const columns =
    table === "coverage_rollups"
      ? sql`(region_code, region_level, ecosystem_code, segment, sponsor_program, paid_through, participants)`
      : table === "monthly_active_rollups"
        ? sql`(month, province_code, ecosystem_code, participants)`
        : sql`(cohort_month, ecosystem_code, months_after, participants)`;
  await tx.execute(sql`insert into ${sql.identifier(table)} ${columns} ${expected[table]}`);
}
