/**
 * Membership status rules. Coverage is counted in whole months in Western Indonesia Time (WIB,
 * UTC+7, no daylight saving), where the agency's billing months begin.
 */

export const participantStatuses = ["PENDING", "ACTIVE", "GRACE", "INACTIVE"] as const;
export type ParticipantStatus = (typeof participantStatuses)[number];

/**
 * Protection stops after this many consecutive unpaid months; BPU pay no late fine and resume by
 * paying (Permenaker 5/2021 on BPU contributions; PP 44/2015 art. 27 on unpaid contributions).
 */
export const statusPolicy = { inactiveAfterUnpaidMonths: 3 } as const;

const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

/** Months since year 0: a month as one integer, so month arithmetic is subtraction. */
export function monthNumber(isoDate: string): number {
  const year = Number(isoDate.slice(0, 4));
  const month = Number(isoDate.slice(5, 7));
  return year * 12 + (month - 1);
}

/** The first day (`YYYY-MM-01`) of a month number. */
export function monthStart(month: number): string {
  const year = Math.floor(month / 12);
  const m = (month % 12) + 1;
  return `${String(year).padStart(4, "0")}-${String(m).padStart(2, "0")}-01`;
}

/** The current billing month in WIB, as a month number. */
export function currentMonth(now: Date): number {
  return monthNumber(new Date(now.getTime() + WIB_OFFSET_MS).toISOString());
}

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
