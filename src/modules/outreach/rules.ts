/**
 * Retention work lists: which workers to reach now, and in what order. Status is month-granular
 * (participants/rules.ts), so every list is a range of `paid_through` months against today, an
 * index range scan at national scale.
 */
import { addDays, currentMonth, monthNumber, monthStart, wibDate } from "../../shared/calendar";
import { contributionDueDay, type statusPolicy as StatusPolicy, statusPolicy } from "../participants/rules";

export const outreachLists = ["DUE_SOON", "IN_GRACE", "WIN_BACK"] as const;
export type OutreachList = (typeof outreachLists)[number];

/** Work-list sizes a caller may ask for: a due date within a quarter, a lapse within a year. */
export const outreachLimits = { maxWithinDays: 92, maxLapsedWithinMonths: 12 } as const;

export interface OutreachWindow {
  /** DUE_SOON: the next contribution falls due within this many days from today (inclusive). */
  withinDays: number;
  /** WIN_BACK: protection stopped at most this many months ago (the current month counts as 1). */
  lapsedWithinMonths: number;
}

/**
 * The `paid_through` months of a list, inclusive, and the order that puts the most urgent first:
 * - DUE_SOON: the next due date (the 15th of the month after `paid_through`) lies between today
 *   and today + `withinDays`, earliest first;
 * - IN_GRACE: in arrears but still protected, fewest protected months left first;
 * - WIN_BACK: protection stopped within `lapsedWithinMonths`, most recently lapsed first (the
 *   easiest to bring back).
 * `null` when no month can qualify (no due date falls in the window).
 */
export function outreachRange(
  list: OutreachList,
  now: Date,
  window: OutreachWindow,
  policy: typeof StatusPolicy = statusPolicy,
): { from: string; through: string; order: "asc" | "desc" } | null {
  const current = currentMonth(now);
  const lastGraceMonth = current - 1;
  const firstGraceMonth = current - (policy.inactiveAfterUnpaidMonths - 1);
  switch (list) {
    case "DUE_SOON": {
      const today = wibDate(now);
      const last = addDays(today, window.withinDays);
      // Months whose due day falls in [today, last]; paid_through is the month before each.
      let first = monthNumber(today);
      if (Number(today.slice(8, 10)) > contributionDueDay) first += 1;
      let final = monthNumber(last);
      if (Number(last.slice(8, 10)) < contributionDueDay) final -= 1;
      if (final < first) return null;
      return { from: monthStart(first - 1), through: monthStart(final - 1), order: "asc" };
    }
    case "IN_GRACE":
      return { from: monthStart(firstGraceMonth), through: monthStart(lastGraceMonth), order: "asc" };
    case "WIN_BACK": {
      // Inactive from the month `paid_through + inactiveAfterUnpaidMonths`.
      const lapsedFrom = current - window.lapsedWithinMonths + 1;
      return {
        from: monthStart(lapsedFrom - policy.inactiveAfterUnpaidMonths),
        through: monthStart(firstGraceMonth - 1),
        order: "desc",
      };
    }
  }
}

/** Months of protection left if nothing more is paid, counting the current one; null when none is left or nothing was ever paid. */
export function monthsUntilInactive(
  paidThrough: string | null,
  now: Date,
  policy: typeof StatusPolicy = statusPolicy,
): number | null {
  if (paidThrough === null) return null;
  const left = monthNumber(paidThrough) + policy.inactiveAfterUnpaidMonths - currentMonth(now);
  return left > 0 ? left : null;
}

/** The month protection stopped (`YYYY-MM-01`), for a worker whose protection has stopped. */
export function inactiveSince(
  paidThrough: string | null,
  now: Date,
  policy: typeof StatusPolicy = statusPolicy,
): string | null {
  if (paidThrough === null) return null;
  const since = monthNumber(paidThrough) + policy.inactiveAfterUnpaidMonths;
  return since <= currentMonth(now) ? monthStart(since) : null;
}
