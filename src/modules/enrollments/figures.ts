import { contributionLines, totalOf } from "../contributions/rules";
import type { Program } from "../contributions/tables";
import { participantStatus } from "../participants/rules";
import type { RiskLevel, Segment } from "../participants/tables";

export interface SponsorshipFigures {
  enrolled: number;
  active: number;
  /** Share of enrolled workers still active (paying), 0 to 1: Sertakan's retention figure. */
  activeShare: number;
  /** What the next period (monthsPerPeriod) costs for every enrolled worker at today's rates. */
  upcomingAmountDue: bigint;
}

/** Coverage, retention and the next period's cost of a sponsorship, from its covered workers. */
export function sponsorshipFigures(
  workers: readonly {
    segment: Segment;
    reportedMonthlyIncome: bigint;
    riskLevel: RiskLevel;
    paidThrough: string | null;
    exitedOn: string | null;
  }[],
  sponsorship: { programs: readonly Program[]; monthsPerPeriod: number },
  now: Date,
): SponsorshipFigures {
  let active = 0;
  let upcomingAmountDue = 0n;
  for (const worker of workers) {
    // Someone who left membership is neither covered nor owed a next period.
    if (worker.exitedOn !== null) continue;
    if (participantStatus(worker, now) === "ACTIVE") active += 1;
    const lines = contributionLines(
      worker.segment,
      sponsorship.programs,
      worker.reportedMonthlyIncome,
      worker.riskLevel,
      sponsorship.monthsPerPeriod,
    );
    upcomingAmountDue += totalOf(lines ?? []);
  }
  return {
    enrolled: workers.length,
    active,
    activeShare: workers.length === 0 ? 0 : active / workers.length,
    upcomingAmountDue,
  };
}
