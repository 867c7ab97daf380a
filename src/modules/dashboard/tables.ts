import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  index,
  pgTable,
  primaryKey,
  smallint,
  timestamp,
  unique,
  varchar,
} from "drizzle-orm/pg-core";
import { ecosystemCodeEnum } from "../ecosystems/tables";
import { segmentEnum } from "../participants/tables";

/**
 * Participants counted by where they live (each of province, regency and district: one row per
 * level), ecosystem, segment, sponsor program and paid-through month. Status is a range of
 * paid-through months against the month asked about, so every status count is a sum here, never
 * a scan of participants. Kept exact by statement triggers on participants (migration
 * `coverage_rollup_triggers`), in the same transaction as the change.
 */
export const coverageRollups = pgTable(
  "coverage_rollups",
  {
    regionCode: varchar("region_code", { length: 8 }).notNull(),
    regionLevel: smallint("region_level").notNull(),
    /** The region one level up (null for provinces): a dashboard reads the rows of its scope's children. */
    parentCode: varchar("parent_code", { length: 5 }).generatedAlwaysAs(
      sql`case region_level when 2 then left(region_code, 2) when 3 then left(region_code, 5) end`,
    ),
    ecosystemCode: ecosystemCodeEnum("ecosystem_code").notNull(),
    segment: segmentEnum("segment").notNull(),
    /** The sponsor's program, or NONE for workers paying for themselves. */
    sponsorProgram: varchar("sponsor_program", { length: 16 }).notNull(),
    /** Null for participants who never paid (PENDING). */
    paidThrough: date("paid_through", { mode: "string" }),
    /** Participants who left membership for good (EXITED whatever they paid through). */
    exited: boolean("exited").notNull().default(false),
    participants: bigint("participants", { mode: "number" }).notNull(),
  },
  (t) => [
    unique("coverage_rollups_key")
      .on(t.regionCode, t.ecosystemCode, t.segment, t.sponsorProgram, t.paidThrough, t.exited)
      .nullsNotDistinct(),
    // Every column, so a dashboard is an index-only scan of its scope's children (provinces for
    // national figures) filtered by ecosystem and segment, never a visit to scattered heap pages.
    index("coverage_rollups_children_idx").on(
      t.parentCode,
      t.ecosystemCode,
      t.segment,
      t.regionCode,
      t.sponsorProgram,
      t.paidThrough,
      t.exited,
      t.participants,
    ),
    check("coverage_rollups_level", sql`${t.regionLevel} in (1, 2, 3)`),
  ],
);

/** Covered months by month, province and ecosystem: who was active in any month, past or present. */
export const monthlyActiveRollups = pgTable(
  "monthly_active_rollups",
  {
    month: date("month", { mode: "string" }).notNull(),
    provinceCode: varchar("province_code", { length: 2 }).notNull(),
    ecosystemCode: ecosystemCodeEnum("ecosystem_code").notNull(),
    participants: bigint("participants", { mode: "number" }).notNull(),
  },
  (t) => [unique("monthly_active_rollups_key").on(t.month, t.provinceCode, t.ecosystemCode)],
);

/**
 * Retention cohorts: participants registered in a month (months_after 0) and how many of them
 * have coverage 1, 3, 6 and 12 months later: the agency's "sustainable growth" figure.
 */
export const retentionRollups = pgTable(
  "retention_rollups",
  {
    cohortMonth: date("cohort_month", { mode: "string" }).notNull(),
    ecosystemCode: ecosystemCodeEnum("ecosystem_code").notNull(),
    monthsAfter: smallint("months_after").notNull(),
    participants: bigint("participants", { mode: "number" }).notNull(),
  },
  (t) => [
    unique("retention_rollups_key").on(t.cohortMonth, t.ecosystemCode, t.monthsAfter),
    check("retention_rollups_months_after", sql`${t.monthsAfter} in (0, 1, 3, 6, 12)`),
  ],
);

/**
 * Retention cohorts by region: the same marks as `retention_rollups`, per province (level 1) and
 * regency (level 2) of where the worker lives, so an officer reads their own region's cohorts.
 */
export const regionalRetentionRollups = pgTable(
  "regional_retention_rollups",
  {
    cohortMonth: date("cohort_month", { mode: "string" }).notNull(),
    regionCode: varchar("region_code", { length: 5 }).notNull(),
    regionLevel: smallint("region_level").notNull(),
    monthsAfter: smallint("months_after").notNull(),
    participants: bigint("participants", { mode: "number" }).notNull(),
  },
  (t) => [
    unique("regional_retention_rollups_key").on(t.regionCode, t.cohortMonth, t.monthsAfter),
    check("regional_retention_rollups_level", sql`${t.regionLevel} in (1, 2)`),
    check("regional_retention_rollups_months_after", sql`${t.monthsAfter} in (0, 1, 3, 6, 12)`),
  ],
);

/**
 * Where coverage rollups fold: paid-through months before `foldBefore` are counted in one bucket,
 * 0001-01-01 ("lapsed long ago"), so the national scan does not grow with the years. One row.
 */
export const rollupHorizon = pgTable(
  "rollup_horizon",
  {
    onlyRow: boolean("only_row").primaryKey().default(true),
    foldBefore: date("fold_before", { mode: "string" }).notNull().default("0001-01-01"),
  },
  (t) => [check("rollup_horizon_one_row", sql`${t.onlyRow}`)],
);

/** The national active-participant target for a year (53.9 M for 2024, 70 M by 2026). */
export const nationalTargets = pgTable("national_targets", {
  year: smallint("year").primaryKey(),
  activeTarget: bigint("active_target", { mode: "number" }).notNull(),
  /** Where the figure comes from (a statement, a plan), shown with it on the growth line. */
  source: varchar("source", { length: 300 }),
});

/** The scopes retention outcomes are kept for: each grace episode counts once in each that applies. */
export const retentionOutcomeScopes = [
  "NATIONAL",
  "PROVINCE",
  "REGENCY",
  "ECOSYSTEM",
  "SPONSOR",
  "REGISTRANT",
] as const;
export type RetentionOutcomeScope = (typeof retentionOutcomeScopes)[number];

/**
 * Grace episodes by the month they began and scope (the nation; the worker's province and regency,
 * ecosystem, sponsor and Nyalakan registrant, each a row of its own so every read is one key
 * lookup): who entered GRACE, recovered to ACTIVE within the grace window, lapsed to INACTIVE when
 * it closed, and was won back later, and how many of them someone reached out to during the
 * episode. Each is a function of covered months, their settlement times and outreach records, not
 * of today, so triggers keep the counts exact (migration `retention_outcomes`); whether a month's
 * window has closed is decided when it is read, against the same clock as statuses.
 */
export const retentionOutcomeRollups = pgTable(
  "retention_outcome_rollups",
  {
    month: date("month", { mode: "string" }).notNull(),
    scope: varchar("scope", { length: 12 }).notNull(),
    /** '' for NATIONAL; a region code, an ecosystem code, or a sponsor's or registrant's id. */
    scopeKey: varchar("scope_key", { length: 24 }).notNull(),
    /**
     * The regency of the participants a row counts: a scope's figure is the sum over regencies, so
     * each row belongs to one regency and the daily job proves the rollup regency by regency. ''
     * counted participants everywhere, before rows were kept by regency (#33); the migration
     * `retention_outcome_regencies` hands those counts to their regencies.
     */
    regencyCode: varchar("regency_code", { length: 5 }).notNull().default(""),
    entered: bigint("entered", { mode: "number" }).notNull(),
    enteredWithOutreach: bigint("entered_with_outreach", { mode: "number" }).notNull(),
    recovered: bigint("recovered", { mode: "number" }).notNull(),
    recoveredWithOutreach: bigint("recovered_with_outreach", { mode: "number" }).notNull(),
    /** Nothing paid for the episode's month before the window closed (INACTIVE once it has). */
    lapsed: bigint("lapsed", { mode: "number" }).notNull(),
    wonBack: bigint("won_back", { mode: "number" }).notNull(),
  },
  (t) => [
    unique("retention_outcome_rollups_key").on(t.scope, t.scopeKey, t.regencyCode, t.month),
    check(
      "retention_outcome_rollups_scope",
      sql`${t.scope} in ('NATIONAL', 'PROVINCE', 'REGENCY', 'ECOSYSTEM', 'SPONSOR', 'REGISTRANT')`,
    ),
  ],
);

/**
 * A month's close, province by province: the daily job counts each province's participants into
 * its parts (every scope its participants count in), then sums the parts into `coverage_history`,
 * so no step of the close reads more than one province's participants. A part is replaced each
 * time its province is counted again; the sum reads the parts the same run just wrote.
 */
export const coverageCloseParts = pgTable(
  "coverage_close_parts",
  {
    month: date("month", { mode: "string" }).notNull(),
    provinceCode: varchar("province_code", { length: 2 }).notNull(),
    scope: varchar("scope", { length: 16 }).notNull(),
    scopeKey: varchar("scope_key", { length: 40 }).notNull(),
    registered: bigint("registered", { mode: "number" }).notNull(),
    active: bigint("active", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.month, t.provinceCode, t.scope, t.scopeKey] })],
);

/** The scopes a closed month's figures are kept for: the nation, each province and regency, ecosystem, segment and channel. */
export const historyScopes = ["NATIONAL", "PROVINCE", "REGENCY", "ECOSYSTEM", "SEGMENT", "CHANNEL"] as const;
export type HistoryScope = (typeof historyScopes)[number];

/**
 * Each closed month's figures, kept when the month closes and never edited: a later correction
 * (a refund, a back-dated settlement, an exit) that changes a month's figures is recorded as the
 * next revision, so the series shows what was reported then and what is known now. `registered`
 * counts those registered by the month's end and not exited by then; `active` those with a covered
 * month (settled contributions) for it. `reconstructed` marks months closed after the fact, from
 * today's data (the backfill): their `registered` misses nobody but may count people whose exit
 * was recorded later.
 */
export const coverageHistory = pgTable(
  "coverage_history",
  {
    month: date("month", { mode: "string" }).notNull(),
    scope: varchar("scope", { length: 16 }).notNull(),
    /** A region code, ecosystem, segment or channel; '' for the nation. */
    scopeKey: varchar("scope_key", { length: 40 }).notNull(),
    revision: smallint("revision").notNull(),
    registered: bigint("registered", { mode: "number" }).notNull(),
    active: bigint("active", { mode: "number" }).notNull(),
    reconstructed: boolean("reconstructed").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.scopeKey, t.month, t.revision] }),
    check("coverage_history_month", sql`extract(day from ${t.month}) = 1`),
  ],
);
