/**
 * The member's card and JHT savings (#30 item 2), as pure rules: how long a verification code
 * lives, how hard the public check may be called, what a verifier sees of the holder, until when the
 * card protects, and the JHT contributions month by month.
 */
import type { ContributionLineRow } from "../contributions/tables";
import { statusPolicy } from "../participants/rules";

/** A code shown on the phone is good for a day: a screenshot stops working by tomorrow. */
export const CARD_CODE_TTL_SECONDS = 24 * 60 * 60;

/** Longer than any code we sign (~150 characters); anything longer is refused unread. */
export const MAX_CARD_CODE_LENGTH = 512;

/**
 * `verifyMembershipCard` per client (API key, token subject, or address for anonymous callers), on
 * top of the API's general rate: enough for a counter scanning cards, too few to walk through
 * guessed codes. wrangler.toml's CARD_VERIFY_LIMITER says the same (a test holds them equal).
 */
export const CARD_VERIFICATION_LIMIT = { requests: 30, periodSeconds: 60 } as const;

export const cardStatuses = ["VALID", "EXPIRED", "REVOKED", "INVALID"] as const;
export type CardStatus = (typeof cardStatuses)[number];

/**
 * `Siti Rahayu` → `S. R.`: enough to match the card against the person holding it (with their
 * KTP), too little to learn a name from a scanned code.
 */
export function initialsOf(fullName: string): string {
  return fullName
    .split(/\s+/)
    .map((word) => [...word.normalize("NFC")].find((char) => /\p{L}/u.test(char)))
    .filter((letter): letter is string => letter !== undefined)
    .map((letter) => `${letter.toLocaleUpperCase("id")}.`)
    .join(" ");
}

const lastDayOfMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);

/**
 * The last day the card protects: through the paid-through month and the grace months after it,
 * until protection stops (the status turns INACTIVE); null before the first payment (PENDING).
 */
export function cardValidUntil(
  paidThrough: string | null,
  policy: { inactiveAfterUnpaidMonths: number } = statusPolicy,
): string | null {
  if (paidThrough === null) return null;
  const year = Number(paidThrough.slice(0, 4));
  const month = Number(paidThrough.slice(5, 7));
  // Date.UTC's day 0 of the month after the last protected one is that month's last day.
  return lastDayOfMonth(year, month + policy.inactiveAfterUnpaidMonths - 1);
}

/** One month a payment still covers, with what the payment was. */
export interface CoveredMonthOfPayment {
  /** `YYYY-MM-01`. */
  month: string;
  paymentId: number;
  /** The months the payment was for when it settled. */
  paymentMonths: number;
  lines: readonly ContributionLineRow[];
}

export interface JhtMonth {
  month: string;
  amount: bigint;
}

export interface JhtSavings {
  months: JhtMonth[];
  total: bigint;
}

/**
 * The JHT paid into the member's savings, month by month, from the months their payments still
 * cover: a settled payment covers all its months, a refunded one the months used before the refund
 * (the unused ones were given back at the JHT line's monthly amount). So the total is the JHT
 * settled less the JHT refunded. A payment without a JHT line adds nothing. Each month gets the
 * line's monthly amount, the payment's last covered month what remains of the line, so the months
 * add up to the total even when the rate changed inside a prepaid period. Excludes the agency's
 * investment return (hasil pengembangan), which the API does not know.
 */
export function jhtSavings(covered: readonly CoveredMonthOfPayment[]): JhtSavings {
  const byPayment = new Map<number, CoveredMonthOfPayment[]>();
  for (const row of covered) byPayment.set(row.paymentId, [...(byPayment.get(row.paymentId) ?? []), row]);
  const months: JhtMonth[] = [];
  for (const rows of byPayment.values()) {
    const first = rows[0];
    const line = first?.lines.find((candidate) => candidate.program === "JHT");
    if (!first || !line) continue;
    const monthly = BigInt(line.monthlyAmount);
    const refunded = monthly * BigInt(Math.max(0, first.paymentMonths - rows.length));
    const kept = BigInt(line.amount) - refunded;
    const sorted = [...rows].sort((a, b) => a.month.localeCompare(b.month));
    sorted.forEach((row, index) => {
      const last = index === sorted.length - 1;
      months.push({ month: row.month, amount: last ? kept - monthly * BigInt(sorted.length - 1) : monthly });
    });
  }
  months.sort((a, b) => a.month.localeCompare(b.month));
  return { months, total: months.reduce((sum, month) => sum + month.amount, 0n) };
}
