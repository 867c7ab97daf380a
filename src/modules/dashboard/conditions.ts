import { and, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { currentMonth, monthStart } from "../../shared/calendar";
import type { RegionScope } from "../participants/conditions";
import { type ParticipantStatus, statusCondition, statusPolicy } from "../participants/rules";
import { coverageRollups } from "./tables";

/**
 * SQL over the dashboard's rollups that other modules compose into their own statements: the
 * dashboard module's public surface for SQL, as participants/conditions.ts is for participants.
 */

/**
 * Paid-through months this long after protection stopped fold into one "lapsed long ago" bucket
 * of the coverage rollups, so the national scan stays flat over the years: those workers are
 * INACTIVE for every date the dashboard answers (it refuses past months), so no figure changes.
 */
export const rollupFoldPolicy = { foldAfterLapsedMonths: 12 } as const;

/** The first paid-through month the coverage rollups still keep apart once the daily job has run today. */
export function rollupFoldHorizon(now: Date): string {
  return monthStart(
    currentMonth(now) - statusPolicy.inactiveAfterUnpaidMonths - rollupFoldPolicy.foldAfterLapsedMonths,
  );
}

/** The rollup buckets of a status: `statusCondition` over the buckets' paid-through month and exit. */
export function rolledUpStatus(status: ParticipantStatus, asOf: Date): SQL {
  const r = coverageRollups;
  return statusCondition(r.paidThrough, sql`${r.exited}`, status, asOf);
}

/**
 * How many members (participants who have not exited) of a region (null: the country) with the
 * scope's ecosystem, segment and status are paid through one of `months`, as a scalar subquery over the coverage rollups: at most
 * a few thousand rollup rows instead of one index entry per worker, and exact in the same
 * transaction as the participants (the rollups' triggers). `months` must not be older than
 * `rollupFoldHorizon`: older ones are folded together.
 */
export function rolledUpParticipants(scope: RegionScope, months: string[], now: Date): SQL {
  const r = coverageRollups;
  return sql`(select coalesce(sum(${r.participants}), 0) from ${r} where ${and(
    // Provinces partition the country, as each region's own rows hold its workers once.
    scope.regionCode === null ? isNull(r.parentCode) : eq(r.regionCode, scope.regionCode),
    scope.ecosystem ? eq(r.ecosystemCode, scope.ecosystem) : undefined,
    scope.segment ? eq(r.segment, scope.segment) : undefined,
    scope.status ? rolledUpStatus(scope.status, now) : undefined,
    inArray(r.paidThrough, months),
    // Work lists count members: whoever left for good is in no list.
    eq(r.exited, false),
  )})`;
}
