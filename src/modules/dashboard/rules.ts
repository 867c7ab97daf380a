import { currentMonth, monthNumber, statusPolicy } from "../participants/rules";

export interface StatusCounts {
  registered: number;
  pending: number;
  active: number;
  grace: number;
  inactive: number;
}

/**
 * Status counts from participants counted by paid-through month, against the month of `asOf`:
 * the same ranges as `membershipStatus`, applied to buckets instead of rows.
 */
export function statusCounts(
  buckets: readonly { paidThrough: string | null; participants: number }[],
  asOf: Date,
  policy: typeof statusPolicy = statusPolicy,
): StatusCounts {
  const month = currentMonth(asOf);
  const counts: StatusCounts = { registered: 0, pending: 0, active: 0, grace: 0, inactive: 0 };
  for (const { paidThrough, participants } of buckets) {
    counts.registered += participants;
    if (paidThrough === null) counts.pending += participants;
    else {
      const arrears = month - monthNumber(paidThrough);
      if (arrears <= 0) counts.active += participants;
      else if (arrears < policy.inactiveAfterUnpaidMonths) counts.grace += participants;
      else counts.inactive += participants;
    }
  }
  return counts;
}

/** Share of the target reached, 0 when there is no target. */
export function progress(active: number, target: number | null): number | null {
  return target === null || target === 0 ? null : active / target;
}

/** Of a cohort registered in `size`, the share with coverage `monthsAfter` months later; null until that month has come. */
export function retentionShare(
  size: number,
  retained: number | undefined,
  cohortMonth: number,
  monthsAfter: number,
  asOfMonth: number,
): number | null {
  if (cohortMonth + monthsAfter > asOfMonth || size === 0) return null;
  return (retained ?? 0) / size;
}
