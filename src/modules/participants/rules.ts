/**
 * Membership status rules. Coverage is counted in whole months in Western Indonesia Time (WIB,
 * UTC+7, no daylight saving), where the agency's billing months begin.
 */

import { currentMonth, monthNumber, monthStart } from "../../shared/calendar";

export const participantStatuses = ["PENDING", "ACTIVE", "GRACE", "INACTIVE"] as const;
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
): ParticipantStatus {
  const arrears = monthsInArrears(paidThrough, now);
  if (arrears === null) return "PENDING";
  if (arrears === 0) return "ACTIVE";
  return arrears < policy.inactiveAfterUnpaidMonths ? "GRACE" : "INACTIVE";
}

/**
 * The `paid_through` range that holds each status today, so a status filter is an index range
 * scan rather than a per-row computation. `from` is inclusive, `before` exclusive (month starts).
 */
export function paidThroughRange(
  status: ParticipantStatus,
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
 * A month's contribution is due by the 15th of that month (Permenaker 5/2021 art. 31 for BPU).
 * The next due date is the 15th of the first unpaid month: the registration month before any payment.
 */
export const contributionDueDay = 15;

export function nextDueDate(paidThrough: string | null, registeredAt: string): string {
  const month = paidThrough === null ? currentMonth(new Date(registeredAt)) : monthNumber(paidThrough) + 1;
  return `${monthStart(month).slice(0, 8)}${String(contributionDueDay).padStart(2, "0")}`;
}
