import { currentMonth, monthNumber, monthStart } from "../../shared/calendar";
import type { ContributionLineRow } from "../contributions/tables";
import { membershipStatus, statusPolicy } from "../participants/rules";

/**
 * Which months a payment covers, decided when it settles (two payments created together must not
 * cover the same month). A participant in grace pays arrears first, oldest month first; a new
 * participant starts with the current month; an INACTIVE BPU resumes from the current month, the
 * lapsed months are not paid back and carry no fine (Permenaker 5/2021 art. 34); anyone paid ahead
 * extends forward.
 */
export function coverageFor(
  paidThrough: string | null,
  months: number,
  now: Date,
  policy: typeof statusPolicy = statusPolicy,
): { from: string; through: string; months: string[] } {
  const current = currentMonth(now);
  const first =
    paidThrough === null || membershipStatus(paidThrough, now, policy) === "INACTIVE"
      ? current
      : monthNumber(paidThrough) + 1;
  const covered = Array.from({ length: months }, (_, i) => monthStart(first + i));
  return { from: monthStart(first), through: monthStart(first + months - 1), months: covered };
}

/**
 * The months a part (a payment of programs beyond JKK and JKM) tops up: the first `months` months,
 * from the current one on, whose JKK and JKM are paid (`covered`) and whose part programs are not
 * (`paid`, the months already paid for any of them). Fewer than asked means the part cannot
 * settle: it never covers a month nobody paid JKK and JKM for, nor pays a program-month twice.
 */
export function partMonths(covered: readonly string[], paid: ReadonlySet<string>, months: number, now: Date): string[] {
  const current = currentMonth(now);
  return [...covered]
    .filter((month) => monthNumber(month) >= current && !paid.has(month))
    .sort()
    .slice(0, months);
}

/** Months of a refunded payment not yet used: those after the current month. */
export function unusedMonths(covered: readonly string[], now: Date): string[] {
  const current = currentMonth(now);
  return covered.filter((month) => monthNumber(month) > current);
}

/** What a refund returns: each program's monthly amount for every unused month, in whole rupiah. */
export function refundAmount(lines: readonly ContributionLineRow[], unused: number): bigint {
  return lines.reduce((sum, line) => sum + BigInt(line.monthlyAmount), 0n) * BigInt(unused);
}

export type SettlementOutcome = "SETTLED" | "FAILED" | "REFUNDED";

/**
 * Allowed status changes: PENDING → SETTLED or FAILED, SETTLED → REFUNDED. Repeating the current
 * status is a no-op (retries and replays); anything else is refused.
 */
export function transition(
  from: "PENDING" | SettlementOutcome,
  to: SettlementOutcome,
): "APPLY" | "ALREADY_APPLIED" | "INVALID" {
  if (from === to) return "ALREADY_APPLIED";
  if (from === "PENDING" && (to === "SETTLED" || to === "FAILED")) return "APPLY";
  if (from === "SETTLED" && to === "REFUNDED") return "APPLY";
  return "INVALID";
}
