import { and, eq, gte, inArray, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import { type AnyPgColumn, alias, unionAll } from "drizzle-orm/pg-core";
import type { Database, Executor, Transaction } from "../../db/client";
import { rowCountOf, rowsOf } from "../../db/rows";
import { currentMonth, monthStart, wibDayStart, wibMonthEnd } from "../../shared/calendar";
import type { EcosystemCode } from "../ecosystems/tables";
import { ecosystemTargets } from "../ecosystems/tables";
import { regionCondition } from "../participants/conditions";
import type { ParticipantStatus } from "../participants/rules";
import { memberships, participants, type Segment } from "../participants/tables";
import { regions } from "../regions/tables";
import { rolledUpStatus } from "./conditions";
import {
  coverageCloseParts,
  coverageRollups,
  type HistoryScope,
  monthlyActiveRollups,
  nationalTargets,
  type RetentionOutcomeScope,
  regionalRetentionRollups,
  retentionOutcomeRollups,
  retentionRollups,
} from "./tables";

export interface DashboardScope {
  /** A region at any level; national when absent. */
  regionCode?: string | null;
  ecosystem?: EcosystemCode | null;
  segment?: Segment | null;
}

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

export type FigureDimension =
  | "region"
  | "ecosystem"
  | "segment"
  | "sponsorProgram"
  | "regionName"
  | "activeInMonth"
  | "nationalTarget"
  | "ecosystemTarget";

export interface FigureRow {
  dimension: FigureDimension;
  key: string;
  label: string | null;
  /** Registered participants for buckets; the figure itself for targets and active-in-month rows. */
  total: number;
  pending: number;
  active: number;
  grace: number;
  inactive: number;
  exited: number;
}

/** Participants of each status in the month of `asOf`: the same paid-through ranges as a status filter. */
function statusSums(asOf: Date) {
  const r = coverageRollups;
  const sum = (condition: SQL) =>
    sql<number>`coalesce(sum(${r.participants}) filter (where ${condition}), 0)::bigint`.mapWith(Number);
  const range = (status: ParticipantStatus) => rolledUpStatus(status, asOf);
  return {
    total: sql<number>`sum(${r.participants})::bigint`.mapWith(Number).as("total"),
    pending: sum(range("PENDING")).as("pending"),
    active: sum(range("ACTIVE")).as("active"),
    grace: sum(range("GRACE")).as("grace"),
    inactive: sum(range("INACTIVE")).as("inactive"),
    exited: sum(range("EXITED")).as("exited"),
  };
}

/** A row of the union that carries one figure (a name, a target, a monthly count) and no statuses. */
function figure(dimension: FigureDimension, key: SQL, total: SQL, label: SQL = sql`null::text`) {
  return {
    dimension: sql<FigureDimension>`${dimension}::text`,
    key: sql<string>`${key}::text`,
    label: sql<string | null>`${label}`,
    total: sql<number>`${total}::bigint`.mapWith(Number),
    pending: sql<number>`0::bigint`.mapWith(Number),
    active: sql<number>`0::bigint`.mapWith(Number),
    grace: sql<number>`0::bigint`.mapWith(Number),
    inactive: sql<number>`0::bigint`.mapWith(Number),
    exited: sql<number>`0::bigint`.mapWith(Number),
  };
}

/**
 * Everything a dashboard shows, in one statement (one round trip from a Worker):
 * - status counts by region, ecosystem, segment and sponsor program, from one grouped index-only
 *   scan of the rollup rows of the scope's children (provinces for national figures; children
 *   partition their parent, so their sum is the scope's total). A district has no rolled-up
 *   children and is read at its own grain;
 * - the children's names, participants active in each of `months` (kept at province grain, so
 *   ask only for national or province scopes), and the national and per-ecosystem targets of `year`.
 */
export async function coverageFigures(
  db: Database,
  scope: DashboardScope,
  options: { asOf: Date; months: string[]; year: number },
): Promise<FigureRow[]> {
  const level = regionLevel(scope.regionCode);
  const regionCode = scope.regionCode ? scope.regionCode.split(".").slice(0, 3).join(".") : null;
  const r = coverageRollups;
  // The scope's children, in the rollups and in the region names alike (provinces for the nation).
  const childOfScope = (parentCode: AnyPgColumn) => (regionCode ? eq(parentCode, regionCode) : isNull(parentCode));
  const buckets = db
    .select({
      dimension: sql<FigureDimension>`case when grouping(${r.regionCode}) = 0 then 'region'
        when grouping(${r.ecosystemCode}) = 0 then 'ecosystem'
        when grouping(${r.segment}) = 0 then 'segment' else 'sponsorProgram' end`.as("dimension"),
      key: sql<string>`coalesce(${r.regionCode}::text, ${r.ecosystemCode}::text, ${r.segment}::text, ${r.sponsorProgram})`.as(
        "key",
      ),
      label: sql<string | null>`null::text`.as("label"),
      ...statusSums(options.asOf),
    })
    .from(r)
    .where(and(level < 3 ? childOfScope(r.parentCode) : eq(r.regionCode, regionCode ?? ""), ...scopeFilters(scope)))
    .groupBy(sql`grouping sets ((${r.regionCode}), (${r.ecosystemCode}), (${r.segment}), (${r.sponsorProgram}))`);
  const names = db
    .select(figure("regionName", sql`${regions.code}`, sql`0`, sql`${regions.name}::text`))
    .from(regions)
    .where(level < 3 ? childOfScope(regions.parentCode) : sql`false`);
  const active = db
    .select(figure("activeInMonth", sql`${monthlyActiveRollups.month}`, sql`sum(${monthlyActiveRollups.participants})`))
    .from(monthlyActiveRollups)
    .where(
      and(
        inArray(monthlyActiveRollups.month, options.months),
        regionCode ? eq(monthlyActiveRollups.provinceCode, regionCode.slice(0, 2)) : undefined,
        scope.ecosystem ? eq(monthlyActiveRollups.ecosystemCode, scope.ecosystem) : undefined,
      ),
    )
    .groupBy(monthlyActiveRollups.month);
  const national = db
    .select(figure("nationalTarget", sql`'NATIONAL'`, sql`${nationalTargets.activeTarget}`))
    .from(nationalTargets)
    .where(eq(nationalTargets.year, options.year));
  const byEcosystem = db
    .select(figure("ecosystemTarget", sql`${ecosystemTargets.ecosystemCode}`, sql`${ecosystemTargets.activeTarget}`))
    .from(ecosystemTargets)
    .where(eq(ecosystemTargets.year, options.year));
  return buckets.unionAll(names).unionAll(active).unionAll(national).unionAll(byEcosystem);
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

/** Cohort marks of one province or regency (its own rows, found by the key's leading column). */
export async function regionalRetentionRows(db: Database, from: string, to: string, regionCode: string) {
  return db
    .select({
      cohortMonth: sql<string>`${regionalRetentionRollups.cohortMonth}::text`,
      monthsAfter: regionalRetentionRollups.monthsAfter,
      participants: regionalRetentionRollups.participants,
    })
    .from(regionalRetentionRollups)
    .where(
      and(
        eq(regionalRetentionRollups.regionCode, regionCode),
        sql`${regionalRetentionRollups.cohortMonth} between ${from}::date and ${to}::date`,
      ),
    );
}

/**
 * One scope's outcomes for a range of months: a range scan of the rollup's key, each month the sum
 * of its regencies' rows (one for a regency, up to one per regency for the others).
 */
export async function retentionOutcomeRows(
  db: Database,
  scope: RetentionOutcomeScope,
  scopeKey: string,
  from: string,
  to: string,
) {
  const r = retentionOutcomeRollups;
  const total = (column: typeof r.entered) => sql<number>`sum(${column})::bigint`.mapWith(Number);
  return db
    .select({
      month: sql<string>`${r.month}::text`,
      entered: total(r.entered),
      enteredWithOutreach: total(r.enteredWithOutreach),
      recovered: total(r.recovered),
      recoveredWithOutreach: total(r.recoveredWithOutreach),
      lapsed: total(r.lapsed),
      wonBack: total(r.wonBack),
    })
    .from(r)
    .where(and(eq(r.scope, scope), eq(r.scopeKey, scopeKey), sql`${r.month} between ${from}::date and ${to}::date`))
    .groupBy(r.month)
    .orderBy(r.month);
}

export async function upsertNationalTarget(db: Executor, year: number, activeTarget: number, source: string | null) {
  await db
    .insert(nationalTargets)
    .values({ year, activeTarget, source })
    .onConflictDoUpdate({ target: nationalTargets.year, set: { activeTarget, source } });
}

export async function upsertEcosystemTarget(
  db: Executor,
  ecosystemCode: EcosystemCode,
  year: number,
  activeTarget: number,
  source: string | null,
) {
  await db
    .insert(ecosystemTargets)
    .values({ ecosystemCode, year, activeTarget, source })
    .onConflictDoUpdate({
      target: [ecosystemTargets.ecosystemCode, ecosystemTargets.year],
      set: { activeTarget, source },
    });
}

/** Participants under the name the recounts' SQL gives them (`from participants p`). */
const recounted = alias(participants, "p");

/** The participants of a region: a province or a regency (`participants_village_idx`). */
const participantsOf = (region: string) => regionCondition(recounted, region);

/** The participants registered in a cohort month (WIB), by the registration time's index. */
const registeredIn = (month: string) =>
  sql`p.registered_at >= ${wibDayStart(month)}::timestamptz and p.registered_at < ${wibMonthEnd(month)}::timestamptz`;

/**
 * What the rollups should hold, recounted from participants and covered months: of the
 * participants `inShard` narrows to (a region's, a cohort month's, or all), and for the retention
 * outcomes of one regency (`regency`) or all (null).
 */
const expectedIn = (inShard: SQL, regency: string | null) => {
  return {
    coverage_rollups: sql`select left(p.village_code, l.len) as region_code, l.level as region_level, p.ecosystem_code,
      p.segment, coalesce(s.program::text, 'NONE') as sponsor_program, folded_paid_through(p.paid_through) as paid_through,
      p.exited_on is not null as exited, count(*)::bigint as participants
    from participants p cross join (values (1, 2), (2, 5), (3, 8)) as l(level, len) left join sponsors s on s.id = p.sponsor_id
    where ${inShard}
    group by 1, 2, 3, 4, 5, 6, 7`,
    monthly_active_rollups: sql`select c.month, left(p.village_code, 2) as province_code, p.ecosystem_code, count(*)::bigint as participants
    from covered_months c join participants p on p.id = c.participant_id where ${inShard} group by 1, 2, 3`,
    retention_rollups: sql`select wib_month(p.registered_at) as cohort_month, p.ecosystem_code, 0::smallint as months_after, count(*)::bigint as participants
      from participants p where ${inShard} group by 1, 2
    union all
    select wib_month(p.registered_at), p.ecosystem_code, (month_index(c.month) - month_index(wib_month(p.registered_at)))::smallint, count(*)::bigint
      from covered_months c join participants p on p.id = c.participant_id
      where month_index(c.month) - month_index(wib_month(p.registered_at)) in (1, 3, 6, 12) and ${inShard} group by 1, 2, 3`,
    regional_retention_rollups: sql`select left(p.village_code, l.len)::varchar as region_code, wib_month(p.registered_at) as cohort_month,
      0::smallint as months_after, l.level::smallint as region_level, count(*)::bigint as participants
      from participants p cross join (values (1, 2), (2, 5)) as l(level, len) where ${inShard} group by 1, 2, 3, 4
    union all
    select left(p.village_code, l.len)::varchar, wib_month(p.registered_at),
      (month_index(c.month) - month_index(wib_month(p.registered_at)))::smallint, l.level::smallint, count(*)::bigint
      from covered_months c join participants p on p.id = c.participant_id cross join (values (1, 2), (2, 5)) as l(level, len)
      where month_index(c.month) - month_index(wib_month(p.registered_at)) in (1, 3, 6, 12) and ${inShard} group by 1, 2, 3, 4`,
    retention_outcome_rollups: sql`select * from retention_outcome_recount(${regency}::varchar)`,
  } as const;
};
const expected = expectedIn(sql`true`, null);

/**
 * Every rollup is verified and rebuilt shard by shard, so the daily job's steps stay small as
 * participants grow: by province, except the retention outcomes, by regency (one province's
 * recount is a tenth of the nation's: minutes at 70 M), and the cohort retention rollup, whose
 * rows carry no region, by cohort month. A shard's rows of the rollup, and the participants its
 * recount reads.
 */
const rollupShards = {
  coverage_rollups: {
    kind: "PROVINCE",
    rows: (province: string) => sql`left(region_code, 2) = ${province}`,
    participants: participantsOf,
  },
  monthly_active_rollups: {
    kind: "PROVINCE",
    rows: (province: string) => sql`province_code = ${province}`,
    participants: participantsOf,
  },
  retention_rollups: {
    kind: "COHORT",
    rows: (month: string) => sql`cohort_month = ${month}::date`,
    participants: registeredIn,
  },
  regional_retention_rollups: {
    kind: "PROVINCE",
    rows: (province: string) => sql`left(region_code, 2) = ${province}`,
    participants: participantsOf,
  },
  retention_outcome_rollups: {
    kind: "REGENCY",
    rows: (regency: string) => sql`regency_code = ${regency}`,
    participants: participantsOf,
  },
} as const satisfies Record<
  string,
  { kind: ShardKind; rows: (shard: string) => SQL; participants: (shard: string) => SQL }
>;
/** What a rollup is cut by: a province or regency code, or a cohort month (YYYY-MM-01). */
export type ShardKind = "PROVINCE" | "REGENCY" | "COHORT";
/** How a rollup is cut into the daily job's steps. */
export const shardKindOf = (table: RollupTable): ShardKind => rollupShards[table].kind;

/** One rollup, or one shard of it. */
function portion(table: RollupTable, shard: string | null): { recount: SQL; rows: SQL } {
  if (shard === null) return { recount: expected[table], rows: sql`true` };
  const cut = rollupShards[table];
  return {
    recount: expectedIn(cut.participants(shard), cut.kind === "REGENCY" ? shard : null)[table],
    rows: cut.rows(shard),
  };
}

/**
 * The cohort months the cohort retention rollup is verified by: every WIB month from the first
 * registration to `now`'s, and any the rollup holds beyond them.
 */
export async function cohortMonths(db: Executor, now: Date): Promise<string[]> {
  const result = await db.execute(sql`
    select to_char(m, 'YYYY-MM-DD') as month
    from generate_series((select wib_month(min(registered_at)) from participants), ${monthStart(currentMonth(now))}::date, interval '1 month') m
    union
    select to_char(cohort_month, 'YYYY-MM-DD') from retention_rollups
    order by 1`);
  return rowsOf<{ month: string }>(result).map((row) => row.month);
}

const keys: Record<string, string[]> = {
  coverage_rollups: ["region_code", "ecosystem_code", "segment", "sponsor_program", "paid_through", "exited"],
  monthly_active_rollups: ["month", "province_code", "ecosystem_code"],
  retention_rollups: ["cohort_month", "ecosystem_code", "months_after"],
  regional_retention_rollups: ["region_code", "cohort_month", "months_after", "region_level"],
  retention_outcome_rollups: ["scope", "scope_key", "regency_code", "month"],
};

/** The counts each rollup keeps beside its key (most keep one: participants). */
const counts: Record<string, string[]> = {
  retention_outcome_rollups: [
    "entered",
    "entered_with_outreach",
    "recovered",
    "recovered_with_outreach",
    "lapsed",
    "won_back",
  ],
};
const countsOf = (table: RollupTable) => counts[table] ?? ["participants"];

export type RollupTable = keyof typeof expected;
export const rollupTables = Object.keys(expected) as RollupTable[];

/**
 * Keys whose count differs between a rollup and a full recount (a zero count and a missing row are
 * the same). EXCEPT compares nulls as equal, which a join on the key would not (never-paid rows).
 */
export async function rollupDrift(tx: Transaction, table: RollupTable, region: string | null = null): Promise<number> {
  const part = portion(table, region);
  const key = sql.raw((keys[table] ?? []).join(", "));
  const values = sql.raw(countsOf(table).join(", "));
  const zero = sql.raw(
    countsOf(table)
      .map(() => "0")
      .join(", "),
  );
  const result = await tx.execute(sql`
    with expected as (select ${key}, ${values} from (${part.recount}) recount),
         actual as (select ${key}, ${values} from ${sql.identifier(table)} where (${values}) <> (${zero}) and ${part.rows})
    select count(*)::int as drift from (
      select ${key} from (select * from expected except select * from actual) missing
      union
      select ${key} from (select * from actual except select * from expected) extra
    ) differing`);
  return Number(rowsOf<{ drift: number }>(result)[0]?.drift ?? 0);
}

/**
 * Moves the coverage rollups' fold horizon forward to `before` and merges every bucket older than
 * it into the "lapsed long ago" bucket (0001-01-01), holding writers off meanwhile so the triggers
 * and the merge agree. Returns how many rollup rows it folded away.
 */
export async function foldCoverageRollups(tx: Transaction, before: string): Promise<number> {
  await tx.execute(sql`lock table participants in share row exclusive mode`);
  const current = await tx.execute(sql`select fold_before::text as fold_before from rollup_horizon`);
  const foldBefore = rowsOf<{ fold_before: string }>(current)[0]?.fold_before;
  if (foldBefore !== undefined && foldBefore >= before) return 0;
  await tx.execute(sql`update rollup_horizon set fold_before = ${before}::date`);
  const folded = await tx.execute(sql`
    with old as (
      delete from coverage_rollups
      where paid_through is not null and paid_through > date '0001-01-01' and paid_through < ${before}::date
      returning region_code, region_level, ecosystem_code, segment, sponsor_program, exited, participants
    ), merged as (
      insert into coverage_rollups as r (region_code, region_level, ecosystem_code, segment, sponsor_program, paid_through, exited, participants)
      select region_code, region_level, ecosystem_code, segment, sponsor_program, date '0001-01-01', exited, sum(participants)
      from old group by 1, 2, 3, 4, 5, 7 order by 1, 2, 3, 4, 5, 7
      on conflict on constraint coverage_rollups_key do update set participants = r.participants + excluded.participants
      returning 1
    )
    select (select count(*) from old)::int as folded`);
  return Number(rowsOf<{ folded: number }>(folded)[0]?.folded ?? 0);
}

/** Replaces a rollup (or a region of it) with its recount, holding writers off the base tables meanwhile. */
export async function rebuildRollup(tx: Transaction, table: RollupTable, region: string | null = null) {
  const part = portion(table, region);
  await tx.execute(sql`lock table participants, covered_months in share row exclusive mode`);
  // Outcomes read settlement times and outreach too.
  if (table === "retention_outcome_rollups") {
    await tx.execute(sql`lock table payments, outreach_contacts in share row exclusive mode`);
  }
  await tx.execute(sql`delete from ${sql.identifier(table)} where ${part.rows}`);
  const columns =
    table === "coverage_rollups"
      ? sql`(region_code, region_level, ecosystem_code, segment, sponsor_program, paid_through, exited, participants)`
      : table === "monthly_active_rollups"
        ? sql`(month, province_code, ecosystem_code, participants)`
        : table === "regional_retention_rollups"
          ? sql`(region_code, cohort_month, months_after, region_level, participants)`
          : table === "retention_outcome_rollups"
            ? sql`(scope, scope_key, regency_code, month, ${sql.raw(countsOf(table).join(", "))})`
            : sql`(cohort_month, ecosystem_code, months_after, participants)`;
  await tx.execute(sql`insert into ${sql.identifier(table)} ${columns} ${part.recount}`);
}

export interface MembershipChangeRow {
  month: string;
  kind: "EXIT" | "MOVED_TO_PU" | "MOVED_TO_BPU" | "RETURNED";
  reason: string | null;
  participants: number;
}

/**
 * Memberships that ended by an exit or a move, and former members who came back, per WIB month
 * from `from` to `through` (first days), for the members of a region (their village today) and
 * ecosystem. Exits and moves come from `memberships_ended_on_idx`, returns from
 * `memberships_returns_idx`: both partial, so a month reads its changes, not every membership.
 */
export async function membershipChangeRows(
  db: Database,
  scope: { regionCode: string | null; ecosystem: EcosystemCode | null },
  from: string,
  through: string,
): Promise<MembershipChangeRow[]> {
  const m = memberships;
  const p = participants;
  const inScope = and(
    scope.regionCode ? regionCondition(p, scope.regionCode) : undefined,
    scope.ecosystem ? eq(p.ecosystemCode, scope.ecosystem) : undefined,
  );
  const before = sql`(${through}::date + interval '1 month')::date`;
  const ended = db
    .select({
      month: sql<string>`date_trunc('month', ${m.endedOn})::date::text`.as("month"),
      kind: sql<MembershipChangeRow["kind"]>`case when ${m.endReason} <> 'MOVED_SEGMENT' then 'EXIT'
        when ${m.segment} = 'BPU' then 'MOVED_TO_PU' else 'MOVED_TO_BPU' end`.as("kind"),
      reason: sql<string | null>`case when ${m.endReason} <> 'MOVED_SEGMENT' then ${m.endReason}::text end`.as(
        "reason",
      ),
    })
    .from(m)
    .innerJoin(p, eq(p.id, m.participantId))
    .where(and(isNotNull(m.endReason), gte(m.endedOn, from), lt(m.endedOn, before), inScope));
  const returned = db
    .select({
      month: sql<string>`date_trunc('month', ${m.startedOn})::date::text`.as("month"),
      kind: sql<MembershipChangeRow["kind"]>`'RETURNED'`.as("kind"),
      reason: sql<string | null>`null::text`.as("reason"),
    })
    .from(m)
    .innerJoin(p, eq(p.id, m.participantId))
    .where(and(eq(m.openReason, "RETURN"), gte(m.startedOn, from), lt(m.startedOn, before), inScope));
  const changes = unionAll(ended, returned).as("changes");
  return db
    .select({
      month: changes.month,
      kind: changes.kind,
      reason: changes.reason,
      participants: sql<number>`count(*)::int`.mapWith(Number),
    })
    .from(changes)
    .groupBy(changes.month, changes.kind, changes.reason)
    .orderBy(changes.month, changes.kind, changes.reason);
}

/**
 * A month's figures for every history scope, recounted from the participants `inShard` narrows to
 * (a province's, or all) and their covered months in one grouped pass: (scope, key, registered,
 * active).
 */
function monthFigures(month: string, inShard: SQL): SQL {
  const monthEnd = wibMonthEnd(month);
  return sql`
      select s.scope, s.key, count(*)::bigint as registered,
        (count(*) filter (where exists (
          select 1 from covered_months c where c.participant_id = p.id and c.month = ${month}::date)))::bigint as active
      from participants p
      cross join lateral (values ('NATIONAL', ''), ('PROVINCE', left(p.village_code, 2)), ('REGENCY', left(p.village_code, 5)),
        ('ECOSYSTEM', p.ecosystem_code::text), ('SEGMENT', p.segment::text), ('CHANNEL', p.channel)) as s(scope, key)
      where p.registered_at < ${monthEnd}::timestamptz
        and (p.exited_on is null or p.exited_on >= (${monthEnd}::timestamptz at time zone 'Asia/Jakarta')::date)
        and ${inShard}
      group by 1, 2`;
}

/**
 * Writes a month's figures (`figures`: scope, key, registered, active) as a new revision wherever
 * they differ from the last one kept (a scope that has no one left gets a revision of zeros; a
 * month with nobody registered yet still gets the nation's row). Returns how many rows it wrote.
 */
async function recordMonthFigures(
  tx: Transaction,
  month: string,
  figures: SQL,
  options: { now: Date; reconstructed: boolean },
): Promise<number> {
  const result = await tx.execute(sql`
    with counted as (${figures}),
    figures as (
      select scope, key, registered, active from counted
      union all
      select 'NATIONAL', '', 0, 0 where not exists (select 1 from counted where scope = 'NATIONAL')
    ), latest as (
      select distinct on (scope, scope_key) scope, scope_key, revision, registered, active
      from coverage_history where month = ${month}::date
      order by scope, scope_key, revision desc
    )
    insert into coverage_history (month, scope, scope_key, revision, registered, active, reconstructed, recorded_at)
    select ${month}::date, coalesce(f.scope, l.scope), coalesce(f.key, l.scope_key), coalesce(l.revision + 1, 1),
      coalesce(f.registered, 0), coalesce(f.active, 0), ${options.reconstructed}, ${options.now.toISOString()}::timestamptz
    from figures f full join latest l on l.scope = f.scope and l.scope_key = f.key
    where l.scope is null or (l.registered, l.active) is distinct from (coalesce(f.registered, 0), coalesce(f.active, 0))`);
  return rowCountOf(result);
}

/**
 * Closes a month in one pass over every participant (the backfill, `npm run month-end`): its
 * figures for every history scope, written as a new revision where they changed. Returns how
 * many rows it wrote.
 */
export function closeMonthFigures(
  tx: Transaction,
  month: string,
  options: { now: Date; reconstructed: boolean },
): Promise<number> {
  return recordMonthFigures(tx, month, monthFigures(month, sql`true`), options);
}

/**
 * Counts one province's part of a month's close (the daily job's step per province): its
 * participants' figures for every scope, replacing the part counted before. Returns the part's rows.
 */
export async function countCloseOfProvince(tx: Transaction, month: string, province: string): Promise<number> {
  await tx
    .delete(coverageCloseParts)
    .where(and(eq(coverageCloseParts.month, month), eq(coverageCloseParts.provinceCode, province)));
  const result = await tx.execute(sql`
    insert into coverage_close_parts (month, province_code, scope, scope_key, registered, active)
    select ${month}::date, ${province}, scope, key, registered, active from (${monthFigures(month, participantsOf(province))}) counted`);
  return rowCountOf(result);
}

/**
 * Closes a month from its provinces' parts (the daily job's step after them): the parts summed
 * per scope, written as a new revision where they changed. Returns how many rows it wrote.
 */
export function closeMonthFromParts(
  tx: Transaction,
  month: string,
  options: { now: Date; reconstructed: boolean },
): Promise<number> {
  return recordMonthFigures(
    tx,
    month,
    sql`select scope, scope_key as key, sum(registered)::bigint as registered, sum(active)::bigint as active
        from coverage_close_parts where month = ${month}::date group by 1, 2`,
    options,
  );
}

export interface HistoryRow {
  month: string;
  registered: number;
  active: number;
  revision: number;
  reconstructed: boolean;
}

/** One scope's closed months from `from` to `to`, each at its latest revision: one key range. */
export async function historyRows(
  db: Database,
  scope: { scope: HistoryScope; key: string },
  from: string,
  to: string,
): Promise<HistoryRow[]> {
  const result = await db.execute(sql`
    select distinct on (month) month::text as month, registered::bigint as registered, active::bigint as active,
      revision, reconstructed
    from coverage_history
    where scope = ${scope.scope} and scope_key = ${scope.key} and month between ${from}::date and ${to}::date
    order by month, revision desc`);
  return rowsOf<{ month: string; registered: string; active: string; revision: number; reconstructed: boolean }>(
    result,
  ).map((row) => ({ ...row, registered: Number(row.registered), active: Number(row.active) }));
}

/** The first month anyone registered in (WIB), or null on an empty database: where a backfill starts. */
export async function firstRegistrationMonth(db: Executor): Promise<string | null> {
  const result = await db.execute(sql`select wib_month(min(registered_at))::text as month from participants`);
  return rowsOf<{ month: string | null }>(result)[0]?.month ?? null;
}

/** The closed months already kept (any revision), for the backfill to skip. */
export async function closedMonths(db: Executor): Promise<Set<string>> {
  const result = await db.execute(
    sql`select distinct month::text as month from coverage_history where scope = 'NATIONAL'`,
  );
  return new Set(rowsOf<{ month: string }>(result).map((row) => row.month));
}

/** Each year's target between two years, national or one ecosystem's. */
export async function targetsByYear(
  db: Executor,
  ecosystem: EcosystemCode | null,
  fromYear: number,
  toYear: number,
): Promise<Map<number, { target: number; source: string | null }>> {
  const rows = ecosystem
    ? await db
        .select({ year: ecosystemTargets.year, target: ecosystemTargets.activeTarget, source: ecosystemTargets.source })
        .from(ecosystemTargets)
        .where(
          and(
            eq(ecosystemTargets.ecosystemCode, ecosystem),
            sql`${ecosystemTargets.year} between ${fromYear} and ${toYear}`,
          ),
        )
    : await db
        .select({ year: nationalTargets.year, target: nationalTargets.activeTarget, source: nationalTargets.source })
        .from(nationalTargets)
        .where(sql`${nationalTargets.year} between ${fromYear} and ${toYear}`);
  return new Map(rows.map((row) => [row.year, { target: row.target, source: row.source }]));
}

/** A closed month's rows of one history scope (its keys under a prefix, when given), latest revisions. */
export async function historySlices(
  db: Database,
  scope: HistoryScope,
  keyPrefix: string | null,
  month: string,
): Promise<{ key: string; registered: number; active: number }[]> {
  const result = await db.execute(sql`
    select distinct on (scope_key) scope_key as key, registered::bigint as registered, active::bigint as active
    from coverage_history
    where scope = ${scope} and month = ${month}::date
      ${keyPrefix === null ? sql`` : sql`and scope_key like ${`${keyPrefix}%`}`}
    order by scope_key, revision desc`);
  return rowsOf<{ key: string; registered: string; active: string }>(result).map((row) => ({
    key: row.key,
    registered: Number(row.registered),
    active: Number(row.active),
  }));
}

export const funnelDimensions = ["CHANNEL", "ECOSYSTEM", "REGION"] as const;
export type FunnelDimension = (typeof funnelDimensions)[number];

export interface FunnelRow {
  cohort: string;
  key: string;
  registered: number;
  paidWithin30Days: number;
  paidLater: number;
  neverPaid: number;
  activeAt3: number;
  activeAt6: number;
  activeAt12: number;
}

/**
 * Who registered in each month from `from` to `to` (WIB) in a region, grouped by how they came in
 * (self, a Nyalakan registrant, a sponsor), ecosystem or child region: when they first paid (a
 * settled payment within 30 days of registering, later, never) and whether they were covered 3, 6
 * and 12 months after the month they registered. One read of the months' registrations (the
 * registration-time index), each with its first settlement and three covered-month lookups.
 */
export async function funnelRows(
  db: Executor,
  options: { from: string; to: string; regionCode: string | null; by: FunnelDimension },
): Promise<FunnelRow[]> {
  const childLength = options.regionCode === null ? 2 : ([5, 8, 13][options.regionCode.split(".").length - 1] ?? 13);
  const key =
    options.by === "CHANNEL"
      ? sql`case when p.sponsor_id is not null then 'SPONSOR' when p.registered_by_id is not null then 'NYALAKAN' else 'SELF' end`
      : options.by === "ECOSYSTEM"
        ? sql`p.ecosystem_code::text`
        : sql`left(p.village_code, ${sql.raw(String(childLength))})`;
  const covered = (months: number) =>
    sql`exists (select 1 from covered_months c where c.participant_id = p.id
      and c.month = (wib_month(p.registered_at) + make_interval(months => ${months}::int))::date)`;
  const result = await db.execute(sql`
    select wib_month(p.registered_at)::text as cohort, ${key} as key, count(*)::int as registered,
      (count(*) filter (where f.first_paid < p.registered_at + interval '30 days'))::int as paid_within_30_days,
      (count(*) filter (where f.first_paid >= p.registered_at + interval '30 days'))::int as paid_later,
      (count(*) filter (where f.first_paid is null))::int as never_paid,
      (count(*) filter (where ${covered(3)}))::int as active_at_3,
      (count(*) filter (where ${covered(6)}))::int as active_at_6,
      (count(*) filter (where ${covered(12)}))::int as active_at_12
    from participants p
    left join lateral (select min(y.settled_at) as first_paid from payments y
                       where y.participant_id = p.id and y.settled_at is not null) f on true
    where p.registered_at >= ${wibDayStart(options.from)}::timestamptz
      and p.registered_at < ${wibMonthEnd(options.to)}::timestamptz
      ${options.regionCode === null ? sql`` : sql`and ${regionCondition(recounted, options.regionCode)}`}
    group by 1, 2
    order by 1, 2`);
  return rowsOf<{
    cohort: string;
    key: string;
    registered: number;
    paid_within_30_days: number;
    paid_later: number;
    never_paid: number;
    active_at_3: number;
    active_at_6: number;
    active_at_12: number;
  }>(result).map((row) => ({
    cohort: row.cohort,
    key: row.key,
    registered: row.registered,
    paidWithin30Days: row.paid_within_30_days,
    paidLater: row.paid_later,
    neverPaid: row.never_paid,
    activeAt3: row.active_at_3,
    activeAt6: row.active_at_6,
    activeAt12: row.active_at_12,
  }));
}

export interface RetentionLeaderRow {
  kind: "REGISTRANT" | "SPONSOR";
  id: number;
  registered: number;
  activeAt6: number;
}

/**
 * Nyalakan registrants and sponsors by how many of the workers they brought in (registered in the
 * months from `from` to `to`, at least six months ago) were covered six months later: each with at
 * least `minimum` such workers, so one lucky registration does not top the list.
 */
export async function retentionLeaders(
  db: Executor,
  options: { from: string; to: string; regionCode: string | null; minimum: number },
): Promise<RetentionLeaderRow[]> {
  const result = await db.execute(sql`
    with brought as (
      select p.registered_by_id as registrant, p.sponsor_id as sponsor,
        exists (select 1 from covered_months c where c.participant_id = p.id
          and c.month = (wib_month(p.registered_at) + interval '6 months')::date) as active_at_6
      from participants p
      where p.registered_at >= ${wibDayStart(options.from)}::timestamptz
        and p.registered_at < ${wibMonthEnd(options.to)}::timestamptz
        and (p.registered_by_id is not null or p.sponsor_id is not null)
        ${options.regionCode === null ? sql`` : sql`and ${regionCondition(recounted, options.regionCode)}`}
    )
    select 'REGISTRANT' as kind, registrant as id, count(*)::int as registered, (count(*) filter (where active_at_6))::int as active_at_6
    from brought where registrant is not null group by registrant having count(*) >= ${options.minimum}
    union all
    select 'SPONSOR', sponsor, count(*)::int, (count(*) filter (where active_at_6))::int
    from brought where sponsor is not null group by sponsor having count(*) >= ${options.minimum}`);
  return rowsOf<{ kind: "REGISTRANT" | "SPONSOR"; id: string; registered: number; active_at_6: number }>(result).map(
    (row) => ({ kind: row.kind, id: Number(row.id), registered: row.registered, activeAt6: row.active_at_6 }),
  );
}
