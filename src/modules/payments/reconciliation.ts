import type { ReconciliationRow } from "./store";

/** The most days one reconciliation report covers. */
export const MAX_RECONCILIATION_DAYS = 31;

export interface ReconciliationMismatch {
  kind: "SETTLED_WITHOUT_NOTIFICATION" | "NOTIFICATION_NOT_APPLIED";
  paymentId: number | null;
  reference: string | null;
  amount: bigint;
  /** For a notification: what became of it (AMOUNT_MISMATCH, OUT_OF_ORDER, REFERENCE_REUSED, ...). */
  outcome: string | null;
}

export interface ReconciliationDay {
  channel: string;
  /** The WIB calendar day. */
  date: string;
  settledCount: number;
  settledAmount: bigint;
  notifiedCount: number;
  notifiedAmount: bigint;
  mismatches: ReconciliationMismatch[];
}

/**
 * Per channel and WIB day: what the API settled against what the channel notified as settled and
 * was applied, and every difference: a payment settled with no applied notification (recorded by
 * hand, or the notification never came), and a notification not applied (amount mismatch, out of
 * order, reused reference). The store reads it in one statement; the rows fold into days here.
 */
export function reconciliationDays(rows: readonly ReconciliationRow[]): ReconciliationDay[] {
  const days = new Map<string, ReconciliationDay>();
  for (const row of rows) {
    const key = `${row.channel}|${row.day}`;
    let day = days.get(key);
    if (!day) {
      day = {
        channel: row.channel,
        date: row.day,
        settledCount: 0,
        settledAmount: 0n,
        notifiedCount: 0,
        notifiedAmount: 0n,
        mismatches: [],
      };
      days.set(key, day);
    }
    const amount = BigInt(row.amount);
    if (row.kind === "SETTLED") {
      day.settledCount += 1;
      day.settledAmount += amount;
    } else if (row.kind === "NOTIFIED") {
      day.notifiedCount += 1;
      day.notifiedAmount += amount;
    } else {
      day.mismatches.push({
        kind: row.kind,
        paymentId: row.payment_id === null ? null : Number(row.payment_id),
        reference: row.reference,
        amount,
        outcome: row.outcome,
      });
    }
  }
  return [...days.values()];
}
