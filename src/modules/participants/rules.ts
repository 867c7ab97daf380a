/**
 * Membership status rules. Coverage is counted in whole months in Western Indonesia Time (WIB,
 * UTC+7, no daylight saving), where the agency's billing months begin. The status and arrears
 * rules have SQL twins here, beside them (statements filter and compute with them), held together
 * by test/rule-twins-property.test.ts; the rollup triggers' PL/pgSQL copy is checked there too.
 */

import { and, gte, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { currentMonth, monthNumber, monthStart, wibDate } from "../../shared/calendar";
import { type Message, msg } from "../../shared/messages";

/** The statuses that follow from paid-through months: a member's, while they have not exited. */
export const coverageStatuses = ["PENDING", "ACTIVE", "GRACE", "INACTIVE"] as const;
export type CoverageStatus = (typeof coverageStatuses)[number];

/** A participant's status: their coverage status, or EXITED once they left membership for good. */
export const participantStatuses = [...coverageStatuses, "EXITED"] as const;
export type ParticipantStatus = (typeof participantStatuses)[number];

/**
 * Protection stops after this many consecutive unpaid months; BPU pay no late fine and resume by
 * paying (Permenaker 5/2021 on BPU contributions; PP 44/2015 art. 27 on unpaid contributions).
 */
export const statusPolicy = { inactiveAfterUnpaidMonths: 3 } as const;

/** Whole months due and unpaid up to and including the current month; 0 when paid ahead. */
export function monthsInArrears(paidThrough: string | null, now: Date): number | null {
  if (paidThrough === null) return null;
  return Math.max(0, currentMonth(now) - monthNumber(paidThrough));
}

export function membershipStatus(
  paidThrough: string | null,
  now: Date,
  policy: typeof statusPolicy = statusPolicy,
): CoverageStatus {
  const arrears = monthsInArrears(paidThrough, now);
  if (arrears === null) return "PENDING";
  if (arrears === 0) return "ACTIVE";
  return arrears < policy.inactiveAfterUnpaidMonths ? "GRACE" : "INACTIVE";
}

/**
 * A participant's status: EXITED once they left (death, retirement, …: the exit is recorded on a
 * day not after today, so it holds from then on), otherwise what their paid-through month says.
 */
export function participantStatus(
  participant: { paidThrough: string | null; exitedOn: string | null },
  now: Date,
): ParticipantStatus {
  return participant.exitedOn !== null ? "EXITED" : membershipStatus(participant.paidThrough, now);
}

/**
 * The `paid_through` range that holds each status today, so a status filter is an index range
 * scan rather than a per-row computation. `from` is inclusive, `before` exclusive (month starts).
 */
export function paidThroughRange(
  status: CoverageStatus,
  now: Date,
  policy: typeof statusPolicy = statusPolicy,
): { isNull: true } | { from?: string; before?: string } {
  const current = currentMonth(now);
  const firstGraceMonth = current - (policy.inactiveAfterUnpaidMonths - 1);
  switch (status) {
    case "PENDING":
      return { isNull: true };
    case "ACTIVE":
      return { from: monthStart(current) };
    case "GRACE":
      return { from: monthStart(firstGraceMonth), before: monthStart(current) };
    case "INACTIVE":
      return { before: monthStart(firstGraceMonth) };
  }
}

/**
 * Participants of a status today as a condition on a paid-through column (participants, or the
 * dashboard's rollup buckets): the ranges of `paidThroughRange`, so an index range scan.
 */
export function paidThroughCondition(column: AnyPgColumn, status: CoverageStatus, now: Date): SQL {
  const range = paidThroughRange(status, now);
  if ("isNull" in range) return isNull(column);
  return (
    and(range.from ? gte(column, range.from) : undefined, range.before ? lt(column, range.before) : undefined) ??
    sql`true`
  );
}

/**
 * `participantStatus` as a condition, given whether a row has exited: EXITED is that, every other
 * status a paid-through range among those who have not (an index range scan, the exit a filter).
 */
export function statusCondition(paidThrough: AnyPgColumn, exited: SQL, status: ParticipantStatus, now: Date): SQL {
  if (status === "EXITED") return exited;
  return and(sql`not ${exited}`, paidThroughCondition(paidThrough, status, now)) as SQL;
}

/** Whether a participant has exited, as `statusCondition` takes it. */
export function hasExited(table: { exitedOn: AnyPgColumn }): SQL {
  return sql`(${table.exitedOn} is not null)`;
}

/**
 * `monthsInArrears` as SQL over a paid-through column: months from the paid-through
 * month to the current WIB month, none when paid ahead, null before the first payment.
 */
export function monthsInArrearsSql(column: AnyPgColumn, now: Date): SQL {
  return sql`case when ${column} is null then null else greatest(0, ${currentMonth(now)}::int - (extract(year from ${column})::int * 12 + extract(month from ${column})::int - 1)) end`;
}

/**
 * A month's contribution is due by the 15th of that month (Permenaker 5/2021 art. 31 for BPU).
 * The next due date is the 15th of the first unpaid month. Before any payment it is the first 15th
 * on or after registration: a worker registered on 25 Nov is first due on 15 Dec, never in the past.
 */
export const contributionDueDay = 15;

export function nextDueDate(paidThrough: string | null, registeredAt: string): string {
  const dueOn = (month: number) => `${monthStart(month).slice(0, 8)}${String(contributionDueDay).padStart(2, "0")}`;
  if (paidThrough !== null) return dueOn(monthNumber(paidThrough) + 1);
  const registered = new Date(registeredAt);
  const month = currentMonth(registered);
  const registeredDay = wibDate(registered);
  return registeredDay <= dueOn(month) ? dueOn(month) : dueOn(month + 1);
}

/**
 * Who may register as a worker, by age on the registration day (WIB), as data:
 * - minimum 18: UU 13/2003 (Manpower Act) art. 1(26) and 68 — under 18 is a child, whom employers
 *   may not employ (art. 69's light work from 13 to 15 is not membership as a worker);
 * - maximum 65 for a new BPU member: Permenaker 5/2021 on BPU membership (registration up to 65).
 * A NIK's two-digit year is read as the most recent year not in the future, and a birth date more
 * than `maxAgeYears` ago is not a real one.
 */
export const agePolicy = {
  minWorkingAge: 18,
  maxNewMemberAge: { BPU: 65 } as Partial<Record<string, number>>,
  maxAgeYears: 100,
} as const;

/** Whole years between a birth date and a day (both `YYYY-MM-DD`). */
export function ageOn(birthDate: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return day.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** Why a worker born on `birthDate` may not register in `segment` today, or null. */
export function ageProblem(birthDate: string, segment: string, now: Date): Message | null {
  const today = wibDate(now);
  const age = ageOn(birthDate, today);
  if (age < agePolicy.minWorkingAge) {
    return msg("AGE_OUT_OF_RANGE.tooYoung", { min: agePolicy.minWorkingAge, age });
  }
  const max = agePolicy.maxNewMemberAge[segment];
  if (max !== undefined && age > max) return msg("AGE_OUT_OF_RANGE.tooOld", { segment, max, age });
  return null;
}
