import { z } from "zod";
import { sha256Hex } from "../../shared/digest";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { idempotencyScopeOf } from "../access/rules";
import { audited, rejection } from "../audit/service";
import { contributionLines, paymentTerms, totalOf } from "../contributions/rules";
import { recordBatchPaymentEvents, recordBatchStatusChanges, recordBudgetLowIfCrossed } from "../events/outbox";
import { currentMonth, monthNumber } from "../participants/rules";
import type { ServiceContext } from "../participants/service";
import { mayActForSponsor } from "../sponsors/service";
import { addSpending, lockSponsorship, type SponsorshipRow } from "../sponsors/store";
import { coverageFor } from "./rules";
import { findPaymentBatch, insertPaymentBatch, lockEnrolledParticipants, recordSettledPayments } from "./store";
import type { paymentBatches } from "./tables";
import { idempotencyKey } from "./validation";

/** Sponsored batches are paid from the sponsorship's committed budget: this is their channel. */
export const SPONSOR_BUDGET_CHANNEL = "SPONSOR_BUDGET";

const batchInput = z.object({
  sponsorshipId: z.number().int().positive(),
  months: z
    .number()
    .int()
    .refine((months) => (paymentTerms as readonly number[]).includes(months), "A payment covers 1, 3, 6 or 12 months"),
  idempotencyKey,
});
export type PaySponsoredContributionsInput = z.input<typeof batchInput>;

export interface BatchResult {
  batch: typeof paymentBatches.$inferSelect | null;
  sponsorship: SponsorshipRow | null;
  userErrors: UserError[];
}

/**
 * One payment for every worker a sponsorship covers, drawn from its budget and settled at once by
 * the same coverage rule as single payments (arrears first, resumption from the current month).
 * All or nothing: over budget, outside the sponsorship's period, or with any worker that cannot be
 * priced, nothing is written. The same key answers the same batch.
 */
export async function paySponsoredContributions(
  ctx: ServiceContext,
  raw: PaySponsoredContributionsInput,
): Promise<BatchResult> {
  const now = ctx.clock.now();
  return audited<BatchResult>(ctx, "paySponsoredContributions", async (tx) => {
    const rejected = (userErrors: UserError[], sponsorship: SponsorshipRow | null = null) =>
      rejection({ batch: null, sponsorship, userErrors }, sponsorship ? [`sponsorship:${sponsorship.id}`] : []);
    const parsed = batchInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    // Batches of one sponsorship queue on its row: budget checks and key replays are exact.
    const sponsorship = await lockSponsorship(tx, input.sponsorshipId);
    if (!sponsorship)
      return rejected([userError("NOT_FOUND", "No sponsorship has this id", ["input", "sponsorshipId"])]);
    if (!mayActForSponsor(ctx.viewer, sponsorship.sponsorId))
      throw forbidden("a sponsor pays for its own sponsorships only");

    const fingerprint = await sha256Hex(JSON.stringify([input.sponsorshipId, input.months]));
    const earlier = await findPaymentBatch(tx, idempotencyScopeOf(ctx.viewer), input.idempotencyKey);
    if (earlier) {
      if (earlier.requestFingerprint !== fingerprint) {
        return rejected(
          [
            userError("IDEMPOTENCY_KEY_REUSED", "This idempotency key was used for a different batch", [
              "input",
              "idempotencyKey",
            ]),
          ],
          sponsorship,
        );
      }
      return {
        result: { batch: earlier, sponsorship, userErrors: [] },
        targetIds: [`payment-batch:${earlier.id}`],
        outcome: "REPLAYED",
      };
    }

    const month = currentMonth(now);
    if (month < monthNumber(sponsorship.startsOn) || month > monthNumber(sponsorship.endsOn)) {
      return rejected(
        [
          userError(
            "SPONSORSHIP_NOT_ACTIVE",
            `The sponsorship runs from ${sponsorship.startsOn} to ${sponsorship.endsOn}`,
            ["input", "sponsorshipId"],
          ),
        ],
        sponsorship,
      );
    }
    const workers = await lockEnrolledParticipants(tx, sponsorship.id);
    if (workers.length === 0) {
      return rejected(
        [userError("NOTHING_TO_PAY", "The sponsorship covers no workers yet", ["input", "sponsorshipId"])],
        sponsorship,
      );
    }
    const priced = workers.map((worker) => ({
      worker,
      lines: contributionLines(
        worker.segment,
        sponsorship.programs,
        worker.reportedMonthlyIncome,
        worker.riskLevel,
        input.months,
      ),
    }));
    const unpriced = priced.filter((p) => p.lines === null);
    if (unpriced.length > 0) {
      return rejected(
        unpriced.map((p) =>
          userError(
            "NOT_PAYABLE",
            `Participant ${p.worker.id} (${p.worker.segment}) has no monthly rate for ${sponsorship.programs.join(", ")}`,
            ["input", "sponsorshipId"],
          ),
        ),
        sponsorship,
      );
    }
    const total = priced.reduce((sum, p) => sum + totalOf(p.lines ?? []), 0n);
    if (sponsorship.spent + total > sponsorship.budget) {
      return rejected(
        [
          userError(
            "BUDGET_EXCEEDED",
            `Paying ${workers.length} workers for ${input.months} months costs Rp${total}; Rp${sponsorship.budget - sponsorship.spent} of the budget remains`,
            ["input", "months"],
          ),
        ],
        sponsorship,
      );
    }

    const batch = await insertPaymentBatch(tx, {
      sponsorshipId: sponsorship.id,
      months: input.months,
      total,
      idempotencyScope: idempotencyScopeOf(ctx.viewer),
      idempotencyKey: input.idempotencyKey,
      requestFingerprint: fingerprint,
      paymentCount: workers.length,
    });
    const at = now.toISOString();
    await recordSettledPayments(
      tx,
      priced.map(({ worker, lines }) => {
        const coverage = coverageFor(worker.paidThrough, input.months, now);
        const paymentLines = lines ?? [];
        return {
          participantId: worker.id,
          months: input.months,
          coverageFrom: coverage.from,
          coverageThrough: coverage.through,
          coveredMonths: coverage.months,
          amount: totalOf(paymentLines),
          lines: paymentLines,
          payer: "SPONSOR" as const,
          payerSponsorId: sponsorship.sponsorId,
          channel: SPONSOR_BUDGET_CHANNEL,
          externalReference: `batch:${batch.id}`,
          status: "SETTLED" as const,
          idempotencyScope: idempotencyScopeOf(ctx.viewer),
          idempotencyKey: `${input.idempotencyKey}:${worker.id}`,
          batchId: batch.id,
          createdAt: at,
          settledAt: at,
        };
      }),
    );
    await addSpending(tx, sponsorship.id, total);
    await recordBatchPaymentEvents(tx, batch.id, ["payment.settled"]);
    await recordBatchStatusChanges(
      tx,
      workers.map((w) => ({
        participantId: w.id,
        before: w.paidThrough,
        after: coverageFor(w.paidThrough, input.months, now).through,
      })),
      now,
      "payment.settled",
    );
    await recordBudgetLowIfCrossed(tx, sponsorship, sponsorship.spent, sponsorship.spent + total);
    return {
      result: { batch, sponsorship: { ...sponsorship, spent: sponsorship.spent + total }, userErrors: [] },
      targetIds: [`payment-batch:${batch.id}`, `sponsorship:${sponsorship.id}`],
      outcome: "SUCCEEDED",
      details: { payments: workers.length, total: total.toString(), months: input.months },
    };
  });
}
