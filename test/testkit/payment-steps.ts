import fc from "fast-check";
import type { Viewer } from "../../src/modules/access/rules";
import type { Program } from "../../src/modules/contributions/tables";
import { applyPaymentOutcome, payContribution } from "../../src/modules/payments/service";
import { fixedClock } from "../../src/shared/clock";
import type { TestApi } from "./api";

/** One step of a random payment history, for property tests: pay, settle a pending payment later, refund. */
export type PaymentStep =
  | {
      kind: "pay";
      pick: number;
      months: number;
      outcome: "SETTLED" | "FAILED" | "PENDING";
      /** Which programs it pays: all the worker's (null), JKK + JKM only, or a part (JHT). */
      programs?: Program[] | null;
    }
  | { kind: "settleLater"; pick: number }
  | { kind: "refund"; pick: number };

/**
 * Payment steps whose payments cover one of `months` months; `pick` chooses the worker or payment.
 * With `split`, a payment may also pay JKK + JKM alone or be a JHT part (workers must join JHT).
 */
export function paymentSteps(months: readonly number[], split = false): fc.Arbitrary<PaymentStep>[] {
  const programs: (Program[] | null)[] = split ? [null, ["JKK", "JKM"], ["JKK", "JKM"]] : [null];
  // A part tops up months already paid for JKK + JKM, so it asks for few of them.
  const part = fc.record({
    kind: fc.constant("pay" as const),
    pick: fc.nat(),
    months: fc.constantFrom(1, 1, 3),
    outcome: fc.constantFrom("SETTLED" as const, "SETTLED" as const, "FAILED" as const, "PENDING" as const),
    programs: fc.constant<Program[]>(["JHT"]),
  });
  return [
    ...(split ? [part, part, part, part] : []),
    fc.record({
      kind: fc.constant("pay" as const),
      pick: fc.nat(),
      months: fc.constantFrom(...months),
      outcome: fc.constantFrom("SETTLED" as const, "SETTLED" as const, "FAILED" as const, "PENDING" as const),
      programs: fc.constantFrom(...programs),
    }),
    fc.record({ kind: fc.constant("settleLater" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("refund" as const), pick: fc.nat() }),
  ];
}

// Idempotency keys stay unique across a property's runs, which share one database.
let keySerial = 0;

/**
 * Applies payment steps through the payments service, remembering which payments are pending and
 * which settled so a later step settles or refunds one of them. One history per property run.
 */
export class PaymentHistory {
  private readonly pending: number[] = [];
  private readonly settled: number[] = [];

  constructor(
    private readonly api: TestApi,
    private readonly viewer: Viewer,
  ) {}

  async apply(step: PaymentStep, participantId: number, now: Date): Promise<void> {
    if (step.kind === "pay") {
      const paid = await payContribution(
        { db: this.api.db, viewer: this.viewer, clock: fixedClock(now.toISOString()), requestId: "payment-step" },
        {
          participantId,
          months: step.months,
          channel: "BRIVA",
          idempotencyKey: `payment-step-${++keySerial}`,
          programs: step.programs ?? null,
        },
      );
      // A part finds no JKK + JKM month to top up: refused, nothing written, as a worker would see.
      if (paid.userErrors.some((error) => error.code === "PART_AHEAD_OF_COVERAGE")) return;
      const paymentId = paid.payment?.id;
      if (paymentId === undefined) throw new Error(JSON.stringify(paid.userErrors));
      if (step.outcome === "PENDING") {
        this.pending.push(paymentId);
        return;
      }
      const outcome = step.outcome;
      await this.api.db.transaction((tx) => applyPaymentOutcome(tx, paymentId, outcome, now, {}));
      if (outcome === "SETTLED") this.settled.push(paymentId);
    } else if (step.kind === "settleLater" && this.pending.length > 0) {
      const [paymentId] = this.pending.splice(step.pick % this.pending.length, 1);
      if (paymentId === undefined) return;
      await this.api.db.transaction((tx) => applyPaymentOutcome(tx, paymentId, "SETTLED", now, {}));
      this.settled.push(paymentId);
    } else if (step.kind === "refund" && this.settled.length > 0) {
      const paymentId = this.settled[step.pick % this.settled.length] ?? 0;
      await this.api.db.transaction((tx) => applyPaymentOutcome(tx, paymentId, "REFUNDED", now, {}));
    }
  }
}
