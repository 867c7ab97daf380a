import { z } from "zod";
import type { ServiceContext } from "../../context";
import type { Transaction } from "../../db/client";
import { currentMonth, monthNumber } from "../../shared/calendar";
import { sha256Hex } from "../../shared/digest";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { type Message, msg } from "../../shared/messages";
import { may } from "../access/actions";
import { idempotencyScopeOf } from "../access/rules";
import { audited, rejection } from "../audit/service";
import { contributionLines, paymentTerms, totalOf } from "../contributions/rules";
import type { ContributionLineRow } from "../contributions/tables";
import { lockSponsorshipForSpending, recordSponsorshipSpending, type SponsorshipRow } from "../sponsors/service";
import { recordBatchPaymentEvents, recordBatchStatusChanges, recordBudgetLowIfCrossed } from "./events";
import { coverageFor, type SettlementOutcome, transition } from "./rules";
import {
  failPayments,
  findPaymentBatch,
  insertBatchPayments,
  insertPaymentBatch,
  lockBatchPayments,
  lockEnrolledParticipants,
  lockPaymentBatch,
  settleBatchPayments,
  updatePaymentBatch,
} from "./store";
import type { paymentBatches } from "./tables";
import { channelCode, idempotencyKey } from "./validation";

/** Where a sponsor's transfer is expected unless the batch names a payment channel. */
export const SPONSOR_BUDGET_CHANNEL = "SPONSOR_BUDGET";

const batchInput = z.object({
  sponsorshipId: z.number().int().positive(),
  months: z
    .number()
    .int()
    .refine((months) => (paymentTerms as readonly number[]).includes(months), "A payment covers 1, 3, 6 or 12 months"),
  idempotencyKey,
  channel: channelCode.nullish(),
});
export type PaySponsoredContributionsInput = z.input<typeof batchInput>;

export interface BatchResult {
  batch: typeof paymentBatches.$inferSelect | null;
  sponsorship: SponsorshipRow | null;
  /** Enrolled workers the batch did not pay for, and why (they left membership). */
  skippedWorkers: UserError[];
  userErrors: UserError[];
}

type EnrolledWorker = Awaited<ReturnType<typeof lockEnrolledParticipants>>[number];
type PricedWorker = { worker: EnrolledWorker; lines: ContributionLineRow[] };

/** The most workers a refusal names one by one (the rest share their reason). */
const NAMED_WORKERS = 100;

/** Whether today falls inside the sponsorship's period (a sponsorship pays only while it runs). */
export function sponsorshipRunning(sponsorship: SponsorshipRow, now: Date): boolean {
  const month = currentMonth(now);
  return month >= monthNumber(sponsorship.startsOn) && month <= monthNumber(sponsorship.endsOn);
}

/**
 * Whether a sponsorship may pay `months` for these workers now, and what each costs: the batch's
 * rules, in the order a sponsor should fix them. Pure, so every refusal is reachable in a test.
 */
export function priceSponsoredBatch(
  sponsorship: SponsorshipRow,
  workers: readonly EnrolledWorker[],
  months: number,
  now: Date,
): { priced: PricedWorker[]; total: bigint } | { problems: UserError[] } {
  const first = monthNumber(sponsorship.startsOn);
  const last = monthNumber(sponsorship.endsOn);
  if (!sponsorshipRunning(sponsorship, now)) {
    return {
      problems: [
        userError(
          "SPONSORSHIP_NOT_ACTIVE",
          msg("SPONSORSHIP_NOT_ACTIVE.period", { from: sponsorship.startsOn, to: sponsorship.endsOn }),
          ["input", "sponsorshipId"],
        ),
      ],
    };
  }
  if (workers.length === 0) {
    return { problems: [userError("NOTHING_TO_PAY", msg("NOTHING_TO_PAY.noWorkers"), ["input", "sponsorshipId"])] };
  }
  const priced = workers.map((worker) => ({
    worker,
    // The sponsor's part: the programs it pays that the worker joined. Whatever else the worker
    // joined (JHT on a JKK + JKM sponsorship) is the worker's own part, paid beside it.
    lines: contributionLines(
      worker.segment,
      sponsorship.programs.filter((program) => worker.programs.includes(program)),
      worker.reportedMonthlyIncome,
      worker.riskLevel,
      months,
    ),
  }));
  const unpriced = priced.filter((p) => p.lines === null);
  if (unpriced.length > 0) {
    return {
      problems: unpriced.map((p) =>
        userError(
          "NOT_PAYABLE",
          msg("NOT_PAYABLE.worker", {
            participant: p.worker.id,
            segment: p.worker.segment,
            programs: sponsorship.programs.join(", "),
          }),
          ["input", "sponsorshipId"],
        ),
      ),
    };
  }
  // A sponsorship pays for months inside its period only: arrears from before it, or months after
  // it ends, are not the sponsor's to pay (a 3-month batch on 10 Dec of a December-ending one).
  const outside = priced.flatMap((p) => {
    const coverage = coverageFor(p.worker.paidThrough, months, now);
    return monthNumber(coverage.from) < first || monthNumber(coverage.through) > last ? [{ ...p, coverage }] : [];
  });
  if (outside.length > 0) {
    return {
      problems: outside.slice(0, NAMED_WORKERS).map(({ worker, coverage }) =>
        userError(
          "OUTSIDE_SPONSORSHIP_PERIOD",
          msg("OUTSIDE_SPONSORSHIP_PERIOD.worker", {
            participant: worker.id,
            from: coverage.from.slice(0, 7),
            through: coverage.through.slice(0, 7),
            startsOn: sponsorship.startsOn,
            endsOn: sponsorship.endsOn,
          }),
          ["input", "months"],
        ),
      ),
    };
  }
  const payable = priced.map((p) => ({ worker: p.worker, lines: p.lines ?? [] }));
  const total = payable.reduce((sum, p) => sum + totalOf(p.lines), 0n);
  if (sponsorship.spent + total > sponsorship.budget) {
    return {
      problems: [
        userError(
          "BUDGET_EXCEEDED",
          msg("BUDGET_EXCEEDED.batch", {
            workers: workers.length,
            months,
            total,
            remaining: sponsorship.budget - sponsorship.spent,
          }),
          ["input", "months"],
        ),
      ],
    };
  }
  return { priced: payable, total };
}

/** What a batch request is, whatever its key: a replay must ask for the same. */
function batchFingerprint(sponsorshipId: number, months: number, channel: string): Promise<string> {
  return sha256Hex(
    JSON.stringify(channel === SPONSOR_BUDGET_CHANNEL ? [sponsorshipId, months] : [sponsorshipId, months, channel]),
  );
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
      rejection(
        { batch: null, sponsorship, skippedWorkers: [], userErrors },
        sponsorship ? [`sponsorship:${sponsorship.id}`] : [],
      );
    const parsed = batchInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    // Batches of one sponsorship queue on its row: budget checks and key replays are exact.
    const sponsorship = await lockSponsorshipForSpending(tx, input.sponsorshipId);
    if (!sponsorship)
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.sponsorship"), ["input", "sponsorshipId"])]);
    if (!may(ctx.viewer, "sponsor:actFor", { sponsorId: sponsorship.sponsorId }))
      throw forbidden(msg("FORBIDDEN.ownSponsorshipsPay"));

    const channel = input.channel ?? SPONSOR_BUDGET_CHANNEL;
    const fingerprint = await batchFingerprint(input.sponsorshipId, input.months, channel);
    const earlier = await findPaymentBatch(tx, idempotencyScopeOf(ctx.viewer), input.idempotencyKey);
    if (earlier) {
      if (earlier.requestFingerprint !== fingerprint) {
        return rejected(
          [userError("IDEMPOTENCY_KEY_REUSED", msg("IDEMPOTENCY_KEY_REUSED.batch"), ["input", "idempotencyKey"])],
          sponsorship,
        );
      }
      return {
        result: { batch: earlier, sponsorship, skippedWorkers: [], userErrors: [] },
        targetIds: [`payment-batch:${earlier.id}`],
        outcome: "REPLAYED",
      };
    }

    // The period is checked before the workers are locked: an inactive sponsorship locks nobody.
    const enrolled = sponsorshipRunning(sponsorship, now) ? await lockEnrolledParticipants(tx, sponsorship.id) : [];
    // A worker who left membership is owed nothing, and a sponsor's money follows only identities
    // the civil registry verified: the batch pays the others and names these with why.
    const workers = enrolled.filter((worker) => worker.exitedOn === null && worker.identityStatus === "VERIFIED");
    const skippedWorkers = enrolled.flatMap((worker) =>
      worker.exitedOn !== null
        ? [
            userError(
              "PARTICIPANT_EXITED",
              msg("PARTICIPANT_EXITED.batch", { participant: worker.id, exitedOn: worker.exitedOn }),
              ["input", "sponsorshipId"],
            ),
          ]
        : worker.identityStatus !== "VERIFIED"
          ? [
              userError(
                "IDENTITY_NOT_VERIFIED",
                msg("IDENTITY_NOT_VERIFIED.batch", { participant: worker.id, status: worker.identityStatus }),
                ["input", "sponsorshipId"],
              ),
            ]
          : [],
    );
    const pricing = priceSponsoredBatch(sponsorship, workers, input.months, now);
    if ("problems" in pricing) return rejected(pricing.problems, sponsorship);
    const { priced, total } = pricing;

    const batch = await insertPaymentBatch(tx, {
      sponsorshipId: sponsorship.id,
      months: input.months,
      total,
      idempotencyScope: idempotencyScopeOf(ctx.viewer),
      idempotencyKey: input.idempotencyKey,
      requestFingerprint: fingerprint,
      paymentCount: workers.length,
      channel,
      createdAt: now.toISOString(),
    });
    const at = now.toISOString();
    // Pending, like any payment: months are covered when the sponsor's money arrives.
    await insertBatchPayments(
      tx,
      priced.map(({ worker, lines: paymentLines }) => {
        const coverage = coverageFor(worker.paidThrough, input.months, now);
        return {
          participantId: worker.id,
          months: input.months,
          coverageFrom: coverage.from,
          coverageThrough: coverage.through,
          amount: totalOf(paymentLines),
          lines: paymentLines,
          payer: "SPONSOR" as const,
          payerSponsorId: sponsorship.sponsorId,
          channel,
          externalReference: `batch:${batch.id}`,
          idempotencyScope: idempotencyScopeOf(ctx.viewer),
          idempotencyKey: `${input.idempotencyKey}:${worker.id}`,
          batchId: batch.id,
          createdAt: at,
        };
      }),
    );
    // The budget is committed now, so concurrent batches can never promise more than it holds.
    await recordSponsorshipSpending(tx, sponsorship.id, total);
    // Partner events: the batch's payments exist (pending); they settle when the money arrives.
    await recordBatchPaymentEvents(tx, batch.id, ["payment.created"], now);
    await recordBudgetLowIfCrossed(tx, sponsorship, sponsorship.spent, sponsorship.spent + total, now);
    return {
      result: {
        batch,
        sponsorship: { ...sponsorship, spent: sponsorship.spent + total },
        skippedWorkers,
        userErrors: [],
      },
      targetIds: [`payment-batch:${batch.id}`, `sponsorship:${sponsorship.id}`],
      outcome: "SUCCEEDED",
      details: {
        payments: workers.length,
        skipped: skippedWorkers.length,
        total: total.toString(),
        months: input.months,
        channel,
      },
    };
  });
}

export type BatchOutcomeResult =
  | { kind: "APPLIED" | "ALREADY_APPLIED"; batch: typeof paymentBatches.$inferSelect }
  | {
      kind: "NOT_FOUND" | "INVALID_TRANSITION" | "AMOUNT_MISMATCH";
      batch: typeof paymentBatches.$inferSelect | null;
      message: Message;
    };

/**
 * The sponsor's money arrived (SETTLED) or will not (FAILED). Settling covers each worker's months
 * by the single-payment rule, fixed now under row locks (batch, then sponsorship, then workers in
 * id order). A worker whose months would now fall outside the sponsorship's period (they paid
 * some themselves meanwhile) is not paid by the sponsor: that payment fails and its amount goes
 * back to the budget. A failed batch gives its whole amount back to the budget.
 */
export async function applyBatchOutcome(
  tx: Transaction,
  batchId: number,
  outcome: SettlementOutcome,
  now: Date,
  evidence: { externalReference?: string | null; amount?: bigint | null },
): Promise<BatchOutcomeResult> {
  const batch = await lockPaymentBatch(tx, batchId);
  if (!batch) return { kind: "NOT_FOUND", batch: null, message: msg("NOT_FOUND.batch") };
  const step = outcome === "REFUNDED" ? "INVALID" : transition(batch.status, outcome);
  if (step === "INVALID") {
    return {
      kind: "INVALID_TRANSITION",
      batch,
      message: msg("INVALID_TRANSITION.batch", { from: batch.status, to: outcome }),
    };
  }
  if (evidence.amount != null && evidence.amount !== batch.total) {
    return {
      kind: "AMOUNT_MISMATCH",
      batch,
      message: msg("AMOUNT_MISMATCH.batch", { reported: evidence.amount ?? "", expected: batch.total }),
    };
  }
  if (step === "ALREADY_APPLIED") return { kind: "ALREADY_APPLIED", batch };
  const sponsorship = await lockSponsorshipForSpending(tx, batch.sponsorshipId);
  if (!sponsorship) throw new Error(`batch ${batch.id} has no sponsorship`);
  const at = now.toISOString();
  const reference = evidence.externalReference ? { externalReference: evidence.externalReference } : {};
  const rows = await lockBatchPayments(tx, batch.id);
  if (outcome === "FAILED") {
    await failPayments(
      tx,
      rows.map((row) => row.paymentId),
      at,
    );
    await recordSponsorshipSpending(tx, sponsorship.id, -rows.reduce((sum, row) => sum + row.amount, 0n));
    await recordBatchPaymentEvents(tx, batch.id, ["payment.failed"], now);
    return {
      kind: "APPLIED",
      batch: await updatePaymentBatch(tx, batch.id, { status: "FAILED", failedAt: at, ...reference }),
    };
  }
  const first = monthNumber(sponsorship.startsOn);
  const last = monthNumber(sponsorship.endsOn);
  const settled = [];
  const outside = [];
  for (const row of rows) {
    const coverage = coverageFor(row.paidThrough, row.months, now);
    // A worker who left membership since the batch was made is not paid for: as outside the period.
    if (row.exitedOn !== null) outside.push(row);
    else if (monthNumber(coverage.from) < first || monthNumber(coverage.through) > last) outside.push(row);
    else settled.push({ ...row, months: coverage.months, from: coverage.from, through: coverage.through });
  }
  await settleBatchPayments(tx, settled, at);
  if (outside.length > 0) {
    await failPayments(
      tx,
      outside.map((row) => row.paymentId),
      at,
    );
    await recordSponsorshipSpending(tx, sponsorship.id, -outside.reduce((sum, row) => sum + row.amount, 0n));
  }
  await recordBatchPaymentEvents(tx, batch.id, ["payment.settled", "payment.failed"], now);
  await recordBatchStatusChanges(
    tx,
    settled.map((row) => ({ participantId: row.participantId, before: row.paidThrough, after: row.through })),
    now,
    "payment.settled",
  );
  return {
    kind: "APPLIED",
    batch: await updatePaymentBatch(tx, batch.id, { status: "SETTLED", settledAt: at, ...reference }),
  };
}

const settleBatchInput = z.object({
  batchId: z.number().int().positive(),
  outcome: z.enum(["SETTLED", "FAILED"]),
  externalReference: z.string().trim().min(1).max(128).nullish(),
  amount: z.bigint().nonnegative().nullish(),
});
export type SettlePaymentBatchInput = z.input<typeof settleBatchInput>;

export interface SettleBatchResult {
  batch: typeof paymentBatches.$inferSelect | null;
  userErrors: UserError[];
}

/** settlePaymentBatch: the agency records that a sponsor's transfer arrived (or will not), by hand. */
export async function settlePaymentBatch(
  ctx: ServiceContext,
  raw: SettlePaymentBatchInput,
): Promise<SettleBatchResult> {
  if (!may(ctx.viewer, "payment:settle")) throw forbidden(msg("FORBIDDEN.settleBatch"));
  const now = ctx.clock.now();
  return audited<SettleBatchResult>(ctx, "settlePaymentBatch", async (tx) => {
    const parsed = settleBatchInput.safeParse(raw);
    if (!parsed.success) return rejection({ batch: null, userErrors: zodUserErrors(parsed.error, ["input"]) });
    const input = parsed.data;
    const applied = await applyBatchOutcome(tx, input.batchId, input.outcome, now, input);
    const targetIds = [`payment-batch:${input.batchId}`];
    if ("message" in applied) {
      const field =
        applied.kind === "AMOUNT_MISMATCH" ? "amount" : applied.kind === "NOT_FOUND" ? "batchId" : "outcome";
      return rejection(
        { batch: null, userErrors: [userError(applied.kind, applied.message, ["input", field])] },
        targetIds,
      );
    }
    return {
      result: { batch: applied.batch, userErrors: [] },
      targetIds,
      outcome: applied.kind === "APPLIED" ? "SUCCEEDED" : "REPLAYED",
      details: { status: applied.batch.status, total: applied.batch.total.toString() },
    };
  });
}
