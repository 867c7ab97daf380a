export interface StatusCounts {
  registered: number;
  pending: number;
  active: number;
  grace: number;
  inactive: number;
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
