import { monthStart, wibDate, wibDayStart } from "../../shared/calendar";
import { membershipStatus, statusPolicy } from "../participants/rules";

export interface StatusCounts {
  registered: number;
  pending: number;
  active: number;
  grace: number;
  inactive: number;
  /** Left membership for good: counted as registered, never as pending, active, grace or inactive. */
  exited: number;
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

/**
 * Months a worker stays protected after entering GRACE: with protection stopping at 3 unpaid
 * months, one who enters GRACE when month m begins (paid through m-1) is INACTIVE when m+2 begins.
 */
export const graceWindowMonths = statusPolicy.inactiveAfterUnpaidMonths - 1;

/** What a grace episode's counts read as in `asOfMonth` (month numbers). */
export interface RetentionOutcomeCounts {
  entered: number;
  enteredWithOutreach: number;
  recovered: number;
  recoveredWithOutreach: number;
  /** Nothing paid for the month by the window's end; only final once the window has closed. */
  lapsed: number;
  wonBack: number;
}

export interface RetentionOutcomeFigures {
  windowClosed: boolean;
  entered: number;
  recovered: number;
  /** Null while the grace window is open: nobody of the month can have lapsed yet. */
  lapsed: number | null;
  /** Neither recovered nor lapsed: the window is open, or they paid part of the arrears and were still behind. */
  unresolved: number;
  wonBack: number;
  enteredWithOutreach: number;
  recoveredWithOutreach: number;
  recoveryShare: number | null;
  recoveryShareWithOutreach: number | null;
  recoveryShareWithoutOutreach: number | null;
}

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

export function retentionOutcomeFigures(
  counts: RetentionOutcomeCounts,
  month: number,
  asOfMonth: number,
): RetentionOutcomeFigures {
  const windowClosed = asOfMonth >= month + graceWindowMonths;
  const lapsed = windowClosed ? counts.lapsed : null;
  return {
    windowClosed,
    entered: counts.entered,
    recovered: counts.recovered,
    lapsed,
    unresolved: counts.entered - counts.recovered - (lapsed ?? 0),
    wonBack: windowClosed ? counts.wonBack : 0,
    enteredWithOutreach: counts.enteredWithOutreach,
    recoveredWithOutreach: counts.recoveredWithOutreach,
    recoveryShare: share(counts.recovered, counts.entered),
    recoveryShareWithOutreach: share(counts.recoveredWithOutreach, counts.enteredWithOutreach),
    recoveryShareWithoutOutreach: share(
      counts.recovered - counts.recoveredWithOutreach,
      counts.entered - counts.enteredWithOutreach,
    ),
  };
}

/** A covered month (month number) and when its payment settled. */
export interface SettledMonth {
  month: number;
  settledAt: Date;
}

export interface GraceEpisode {
  /** The month (number) whose start found the worker paid through the month before. */
  month: number;
  recoveredAt: Date | null;
  lapsed: boolean;
  wonBack: boolean;
  withOutreach: boolean;
}

/**
 * A worker's grace episodes, replayed from the status rule itself: the reference the rollup's SQL
 * (migration `retention_outcomes`) is tested against. A month's start that finds the worker ACTIVE
 * a moment before and GRACE at it begins an episode; it recovers at the first settlement that makes
 * them ACTIVE before the window ends, lapses if they are INACTIVE when it ends, and is won back
 * if they pay for any month from the episode's on after that.
 */
export function graceEpisodes(timeline: readonly SettledMonth[], contacts: readonly Date[]): GraceEpisode[] {
  const paidThroughBy = (at: Date, inclusive: boolean) => {
    const months = timeline
      .filter((row) => (inclusive ? row.settledAt <= at : row.settledAt < at))
      .map((row) => row.month);
    return months.length === 0 ? null : monthStart(Math.max(...months));
  };
  const begins = (month: number) => new Date(wibDayStart(monthStart(month)));
  const episodes: GraceEpisode[] = [];
  for (const start of new Set(timeline.map((row) => row.month + 1))) {
    const at = begins(start);
    const before = paidThroughBy(at, false);
    const justBefore = new Date(at.getTime() - 1);
    if (membershipStatus(before, justBefore) !== "ACTIVE" || membershipStatus(before, at) !== "GRACE") continue;
    const windowEnd = begins(start + graceWindowMonths);
    const recoveredAt =
      timeline
        .map((row) => row.settledAt)
        .filter((t) => t >= at && t < windowEnd && membershipStatus(paidThroughBy(t, true), t) === "ACTIVE")
        .sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
    const lapsed = membershipStatus(paidThroughBy(windowEnd, false), windowEnd) === "INACTIVE";
    const episodeEnd = recoveredAt ?? windowEnd;
    episodes.push({
      month: start,
      recoveredAt,
      lapsed,
      wonBack: lapsed && timeline.some((row) => row.month >= start),
      withOutreach: contacts.some((t) => t >= at && t < episodeEnd),
    });
  }
  return episodes.sort((a, b) => a.month - b.month);
}

/**
 * The shards whose rollup proof falls on `now`'s WIB day when the proofs are spread over `days`
 * days: every `days`-th shard of the list, the slice turning by one each day, so each shard is
 * proved once in any `days` consecutive days (and every day when `days` is 1).
 */
export function shardsInTurn(shards: readonly string[], now: Date, days: number): string[] {
  if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`a proof rotation of ${days} days`);
  const day = Date.parse(wibDate(now)) / 86_400_000;
  return shards.filter((_, index) => index % days === day % days);
}
