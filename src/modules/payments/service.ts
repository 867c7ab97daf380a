import type { ServiceContext } from "../../context";
import type { Executor, Transaction } from "../../db/client";
import { partitionsChanged } from "../../db/growth";
import { currentMonth, monthNumber, monthStart } from "../../shared/calendar";
import { sha256Hex } from "../../shared/digest";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { decodeGlobalId } from "../../shared/ids";
import { type Message, msg } from "../../shared/messages";
import { may } from "../access/actions";
import { idempotencyScopeOf, type Viewer } from "../access/rules";
import { auditActor } from "../audit/rules";
import { type AuditedResult, audited, rejection } from "../audit/service";
import { activePrograms, contributionLines, paymentKind, repeatedProgram, totalOf } from "../contributions/rules";
import type { Program } from "../contributions/tables";
import type { JobStep } from "../jobs/service";
import { outboxRow } from "../outbox/outbox";
import { canSeeParticipant } from "../participants/conditions";
import { findParticipant, lockParticipant, type ParticipantRow, updateParticipantRow } from "../participants/service";
import { lockSponsorshipForSpending, recordSponsorshipSpending } from "../sponsors/service";
import { applyBatchOutcome } from "./batch";
import { paymentCreatedEvent, recordPaymentEvent, recordPaymentOutcome } from "./events";
import { coverageFor, partMonths, refundAmount, type SettlementOutcome, transition, unusedMonths } from "./rules";
import {
  addPaymentPartitions,
  closeCoverageHole,
  coveredMonthsOf,
  coverMonths,
  coverPartMonths,
  findPayment,
  findPaymentBatchById,
  findPaymentByKey,
  forgetPaymentKeys,
  insertPaymentEventUnlessSeen,
  insertPaymentRecorded,
  lastCoveredMonth,
  lockPayment,
  lockPaymentEvent,
  monthsCoveredBy,
  monthsOpenToPart,
  moveCoverageTo,
  type PaymentRow,
  paymentsCovering,
  paymentsCoveringAfter,
  programsPaidThrough,
  setPaymentEventOutcome,
  uncoverMonths,
  updatePayment,
} from "./store";
import { paymentKeyDays } from "./tables";
import {
  type ChannelNotification,
  type PayContributionInput,
  payContributionInput,
  type SettlePaymentInput,
  settlePaymentInput,
} from "./validation";

export interface PaymentResult {
  payment: PaymentRow | null;
  participant: ParticipantRow | null;
  userErrors: UserError[];
}

/** Same caller and same input give the same fingerprint: what makes a retry a retry. */
function fingerprint(
  viewer: Viewer,
  input: {
    participantId: number;
    months: number;
    payerSponsorId: number | null;
    channel: string;
    programs: readonly Program[] | null;
  },
) {
  const subject = viewer.kind === "user" ? viewer.subject : "anonymous";
  // Without programs the array is the one every earlier payment was fingerprinted with.
  const request = [subject, input.participantId, input.months, input.payerSponsorId, input.channel];
  return sha256Hex(JSON.stringify(input.programs === null ? request : [...request, [...input.programs].sort()]));
}

/**
 * Why a payment of `programs` cannot be made for a participant enrolled in `joined`, or null:
 * each named program must be one they joined, listed once, and JKK and JKM go together (a full
 * payment) or not at all (a part).
 */
function paidProgramsProblem(programs: readonly Program[], joined: readonly Program[]): UserError | null {
  const field = ["input", "programs"];
  const repeated = repeatedProgram(programs);
  if (repeated) return userError("DUPLICATE_PROGRAM", msg("DUPLICATE_PROGRAM.program", { program: repeated }), field);
  const foreign = programs.filter((program) => !joined.includes(program));
  if (foreign.length > 0) {
    return userError(
      "PROGRAMS_SPLIT",
      msg("PROGRAMS_SPLIT.notJoined", { programs: foreign.join(", "), joined: joined.join(", ") }),
      field,
    );
  }
  if (paymentKind(programs) === null) {
    const others = joined.filter((program) => !activePrograms.includes(program));
    return userError("PROGRAMS_SPLIT", msg("PROGRAMS_SPLIT.active", { programs: others.join(", ") || "-" }), field);
  }
  return null;
}

export interface ProgramPaidThrough {
  program: Program;
  paidThrough: string | null;
  countsTowardActive: boolean;
}

/** Each program the participant joined, in their order, with its own last paid month. */
export async function programsPaidThroughOf(
  db: Executor,
  participantId: number,
  joined: readonly Program[],
): Promise<ProgramPaidThrough[]> {
  const paid = new Map((await programsPaidThrough(db, participantId)).map((row) => [row.program, row.paidThrough]));
  return joined.map((program) => ({
    program,
    paidThrough: paid.get(program) ?? null,
    countsTowardActive: activePrograms.includes(program),
  }));
}

/** The months a part of `programs` would top up now (at most `months`), oldest first. */
async function openPartMonths(
  db: Executor,
  participantId: number,
  programs: readonly Program[],
  months: number,
  now: Date,
): Promise<string[]> {
  const open = await monthsOpenToPart(db, participantId, programs, monthStart(currentMonth(now)));
  return partMonths(open.covered, open.paid, months, now);
}

/**
 * Creates a PENDING payment for the participant's next months at today's rates. Idempotent: the
 * same key with the same input returns the original payment (never a second charge), the same key
 * with another input is IDEMPOTENCY_KEY_REUSED; concurrent retries resolve on the key's unique index.
 * Which months it covers is fixed when it settles.
 */
export async function payContribution(ctx: ServiceContext, raw: PayContributionInput): Promise<PaymentResult> {
  if (!may(ctx.viewer, "payment:pay")) throw forbidden(msg("FORBIDDEN.pay"));
  const viewer = ctx.viewer;
  const now = ctx.clock.now();
  const audit = (work: (tx: Transaction) => Promise<AuditedResult<PaymentResult>>) =>
    audited<PaymentResult>(ctx, "payContribution", work);
  const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
    rejection<PaymentResult>({ payment: null, participant: null, userErrors }, targetIds);
  const parsed = payContributionInput.safeParse(raw);
  if (!parsed.success) return audit(async () => rejected(zodUserErrors(parsed.error, ["input"])));
  const input = parsed.data;
  // A sponsor pays as itself; naming another payer is not a mistake to report but a refusal.
  const payerSponsorId =
    input.payerSponsorId ?? (viewer.kind === "user" && viewer.role === "SPONSOR" ? viewer.sponsorId : null) ?? null;
  if (viewer.kind === "user" && viewer.role === "SPONSOR" && payerSponsorId !== viewer.sponsorId) {
    throw forbidden(msg("FORBIDDEN.sponsorPaysAsItself"));
  }
  const request = {
    participantId: input.participantId,
    months: input.months,
    payerSponsorId,
    channel: input.channel,
    programs: input.programs ?? null,
  };
  const requestFingerprint = await fingerprint(viewer, request);
  const scope = idempotencyScopeOf(viewer);

  /** The key's earlier payment, if this request is its retry; the reuse of a key, if it is not. */
  const replay = async (tx: Transaction, existing: PaymentRow): Promise<AuditedResult<PaymentResult>> => {
    if (existing.requestFingerprint !== requestFingerprint) {
      return rejected(
        [userError("IDEMPOTENCY_KEY_REUSED", msg("IDEMPOTENCY_KEY_REUSED.payment"), ["input", "idempotencyKey"])],
        [`payment:${existing.id}`],
      );
    }
    const participant = (await findParticipant(tx, existing.participantId)) ?? null;
    return {
      result: { payment: existing, participant, userErrors: [] },
      targetIds: [`payment:${existing.id}`],
      outcome: "REPLAYED",
    };
  };
  // A retry answers with its payment even if the request would be refused today, so a refusal
  // looks the key up first; a new request finds the key free at insert, without a lookup.
  const refuse = (userErrors: UserError[], targetIds: string[] = []) =>
    audit(async (tx) => {
      const earlier = await findPaymentByKey(tx, scope, input.idempotencyKey);
      return earlier ? replay(tx, earlier) : rejected(userErrors, targetIds);
    });

  const participant = await findParticipant(ctx.db, input.participantId);
  if (!participant || !canSeeParticipant(viewer, participant)) {
    return refuse([userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "participantId"])]);
  }
  const target = [`participant:${participant.id}`];
  if (participant.exitedOn !== null) {
    return refuse(
      [
        userError("PARTICIPANT_EXITED", msg("PARTICIPANT_EXITED.pay", { exitedOn: participant.exitedOn }), [
          "input",
          "participantId",
        ]),
      ],
      target,
    );
  }
  if (payerSponsorId !== null && participant.sponsorId !== payerSponsorId) {
    return refuse([userError("PAYER_NOT_SPONSOR", msg("PAYER_NOT_SPONSOR"), ["input", "payerSponsorId"])], target);
  }
  const paid = input.programs ?? participant.programs;
  const programsProblem = input.programs ? paidProgramsProblem(input.programs, participant.programs) : null;
  if (programsProblem) return refuse([programsProblem], target);
  // Shown to the payer now; settlement fixes the months in case other payments settle first.
  let provisional = coverageFor(participant.paidThrough, input.months, now);
  if (paymentKind(paid) === "PART") {
    // A part tops up months whose JKK and JKM are paid: there must be as many open as it asks for.
    const open = await openPartMonths(ctx.db, participant.id, paid, input.months, now);
    const [first] = open;
    const last = open.at(-1);
    if (open.length < input.months || first === undefined || last === undefined) {
      return refuse(
        [
          userError(
            "PART_AHEAD_OF_COVERAGE",
            msg("PART_AHEAD_OF_COVERAGE.months", { open: open.length, programs: paid.join(", ") }),
            ["input", "months"],
          ),
        ],
        target,
      );
    }
    provisional = { from: first, through: last, months: open };
  }
  const lines = contributionLines(
    participant.segment,
    paid,
    participant.reportedMonthlyIncome,
    participant.riskLevel,
    input.months,
    monthNumber(provisional.from),
  );
  if (!lines) {
    return refuse(
      [
        userError(
          "NOT_PAYABLE",
          msg("NOT_PAYABLE.participant", { segment: participant.segment, programs: participant.programs.join(", ") }),
          ["input", "participantId"],
        ),
      ],
      target,
    );
  }
  const row = {
    participantId: participant.id,
    months: input.months,
    coverageFrom: provisional.from,
    coverageThrough: provisional.through,
    amount: totalOf(lines),
    lines,
    payer: payerSponsorId === null ? ("SELF" as const) : ("SPONSOR" as const),
    payerSponsorId,
    channel: input.channel,
    idempotencyScope: scope,
    idempotencyKey: input.idempotencyKey,
    requestFingerprint,
    createdAt: now.toISOString(),
  };
  // The payment, its partner event and its audit row: one statement, all or nothing.
  const created = await insertPaymentRecorded(ctx.db, row, outboxRow(paymentCreatedEvent(row, participant, now)), {
    requestId: ctx.requestId,
    ...auditActor(viewer),
    operation: "payContribution",
    targetIds: target,
    outcome: "SUCCEEDED",
    details: { amount: row.amount.toString(), months: row.months },
    occurredAt: now.toISOString(),
  });
  if (created) return { payment: created, participant, userErrors: [] };
  // The key is taken, perhaps by a concurrent retry that committed first: answer with its payment.
  return audit(async (tx) => {
    const winner = await findPaymentByKey(tx, scope, input.idempotencyKey);
    if (!winner) throw new Error("idempotency key conflicted but no payment holds it");
    return replay(tx, winner);
  });
}

export type OutcomeResult =
  | { kind: "APPLIED" | "ALREADY_APPLIED"; payment: PaymentRow; participant: ParticipantRow }
  | {
      kind: "NOT_FOUND" | "INVALID_TRANSITION" | "OUT_OF_ORDER" | "AMOUNT_MISMATCH";
      payment: PaymentRow | null;
      message: Message;
    };

/**
 * Applies a channel's outcome to a payment inside the caller's transaction, holding the payment's
 * row lock and then the participant's, so concurrent settlements of one payment extend coverage
 * once and payments of one participant take consecutive months.
 */
export async function applyPaymentOutcome(
  tx: Transaction,
  paymentId: number,
  outcome: SettlementOutcome,
  now: Date,
  evidence: { externalReference?: string | null; amount?: bigint | null },
): Promise<OutcomeResult> {
  const payment = await lockPayment(tx, paymentId);
  if (!payment) return { kind: "NOT_FOUND", payment: null, message: msg("NOT_FOUND.payment") };
  const step = transition(payment.status, outcome);
  if (payment.batchId !== null && outcome !== "REFUNDED" && step !== "ALREADY_APPLIED") {
    return { kind: "INVALID_TRANSITION", payment, message: msg("INVALID_TRANSITION.batchPayment") };
  }
  if (step === "INVALID" && payment.status === "PENDING" && outcome === "REFUNDED") {
    // The refund overtook its settlement: not final, the channel's retry after settlement applies.
    return {
      kind: "OUT_OF_ORDER",
      payment,
      message: msg("OUT_OF_ORDER.refund"),
    };
  }
  if (step === "INVALID") {
    return {
      kind: "INVALID_TRANSITION",
      payment,
      message: msg("INVALID_TRANSITION.payment", { from: payment.status, to: outcome }),
    };
  }
  const amount = evidence.amount ?? null;
  const mismatch = (message: Message): OutcomeResult => ({ kind: "AMOUNT_MISMATCH", payment, message });
  if (outcome !== "REFUNDED" && amount !== null && amount !== payment.amount) {
    return mismatch(msg("AMOUNT_MISMATCH.payment", { reported: amount, expected: payment.amount }));
  }
  // A sponsor batch's payment was paid from the sponsorship's budget: its refund goes back there.
  // The sponsorship is locked before the worker, the order a batch takes them in.
  const sponsorshipId =
    outcome === "REFUNDED" && step === "APPLY" && payment.batchId !== null
      ? ((await findPaymentBatchById(tx, payment.batchId))?.sponsorshipId ?? null)
      : null;
  if (sponsorshipId !== null) await lockSponsorshipForSpending(tx, sponsorshipId);
  const participant = await lockParticipant(tx, payment.participantId);
  if (!participant) throw new Error(`payment ${payment.id} has no participant`);
  if (step === "ALREADY_APPLIED") {
    const refunded = payment.refundedAmount ?? 0n;
    if (outcome === "REFUNDED" && amount !== null && amount !== refunded)
      return mismatch(msg("AMOUNT_MISMATCH.refundWas", { reported: amount, expected: refunded }));
    return { kind: "ALREADY_APPLIED", payment, participant };
  }

  const at = now.toISOString();
  const programs = payment.lines.map((line) => line.program);
  // A part (programs beyond JKK and JKM) tops up months another payment covers: it settles and
  // refunds on its own months, and moves no paid-through.
  const part = paymentKind(programs) === "PART";
  if (outcome === "FAILED") {
    const failed = await updatePayment(tx, payment.id, { status: "FAILED", failedAt: at });
    await recordPaymentEvent(tx, "payment.failed", failed, participant, now);
    return { kind: "APPLIED", payment: failed, participant };
  }
  /** Money that arrived with nothing left for it to cover goes back in full: nothing paid is lost or counts as coverage. */
  const returnInFull = async (): Promise<OutcomeResult> => {
    const returned = await updatePayment(tx, payment.id, {
      status: "REFUNDED",
      settledAt: at,
      refundedAt: at,
      refundedAmount: payment.amount,
      ...(evidence.externalReference ? { externalReference: evidence.externalReference } : {}),
    });
    await recordPaymentEvent(tx, "payment.refunded", returned, participant, now);
    return { kind: "APPLIED", payment: returned, participant };
  };
  // The member left before the money arrived (the payment was made before the exit was recorded).
  if (outcome === "SETTLED" && participant.exitedOn !== null) return returnInFull();
  if (outcome === "SETTLED" && part) {
    const months = await openPartMonths(tx, participant.id, programs, payment.months, now);
    const first = months[0];
    const last = months.at(-1);
    // The JKK and JKM months it was to top up are gone (refunded, or taken by another part since it was made).
    if (months.length < payment.months || first === undefined || last === undefined) return returnInFull();
    await coverPartMonths(tx, participant.id, payment.id, programs, months);
    const settled = await updatePayment(tx, payment.id, {
      status: "SETTLED",
      settledAt: at,
      coverageFrom: first,
      coverageThrough: last,
      ...(evidence.externalReference ? { externalReference: evidence.externalReference } : {}),
    });
    // A part changes no paid-through: JKK and JKM alone decide it.
    await recordPaymentOutcome(tx, "payment.settled", settled, participant, participant, now);
    return { kind: "APPLIED", payment: settled, participant };
  }
  if (outcome === "SETTLED") {
    const coverage = coverageFor(participant.paidThrough, payment.months, now);
    await coverMonths(tx, participant.id, payment.id, coverage.months);
    const settled = await updatePayment(tx, payment.id, {
      status: "SETTLED",
      settledAt: at,
      coverageFrom: coverage.from,
      coverageThrough: coverage.through,
      ...(evidence.externalReference ? { externalReference: evidence.externalReference } : {}),
    });
    const extended = await updateParticipantRow(tx, participant.id, { paidThrough: coverage.through }, now);
    await recordPaymentOutcome(tx, "payment.settled", settled, participant, extended ?? participant, now);
    return { kind: "APPLIED", payment: settled, participant: extended ?? participant };
  }
  // REFUNDED: give back the months not used yet, and exactly their worth; coverage already used stays.
  const unused = unusedMonths(await monthsCoveredBy(tx, payment.id), now);
  const worth = refundAmount(payment.lines, unused.length);
  if (amount !== null && amount !== worth) {
    return mismatch(msg("AMOUNT_MISMATCH.refund", { reported: amount ?? "", expected: worth, months: unused.length }));
  }
  // The parts topping up the months a full payment gives back lose what they topped up: they go
  // back to their payers with it, so no program stays paid on a month whose JKK and JKM are not.
  const toppedUp = part
    ? []
    : (await paymentsCovering(tx, participant.id, unused)).filter((row) => row.paymentId !== payment.id);
  const partRefunds = await refundCovering(tx, toppedUp, now);
  await uncoverMonths(tx, payment.id, unused);
  // Months paid by later payments move back into the hole: coverage stays one unbroken run. A
  // part leaves no hole in it (JKK and JKM are still paid on its months).
  const [hole] = unused;
  if (hole !== undefined && !part) await closeCoverageHole(tx, participant.id, hole);
  const refunded = await updatePayment(tx, payment.id, {
    status: "REFUNDED",
    refundedAt: at,
    refundedAmount: worth,
  });
  if (sponsorshipId !== null) await recordSponsorshipSpending(tx, sponsorshipId, -worth);
  const paidThrough = await lastCoveredMonth(tx, participant.id);
  const shortened = await updateParticipantRow(tx, participant.id, { paidThrough }, now);
  await recordExitRefunds(tx, partRefunds, shortened ?? participant, now);
  await recordPaymentOutcome(tx, "payment.refunded", refunded, participant, shortened ?? participant, now);
  return { kind: "APPLIED", payment: refunded, participant: shortened ?? participant };
}

/** A payment's months given back at an exit, and their worth. */
export interface ExitRefund {
  payment: PaymentRow;
  months: string[];
  amount: bigint;
  /** The sponsorship whose budget the amount went back to (a sponsor batch's payment), or null. */
  sponsorshipId: number | null;
}

/**
 * Locks what an exit after `lastMonth` changes, in the order a settlement takes them (the payments
 * covering later months, their batches' sponsorships, then the participant), so an exit and a
 * settlement of the same member queue rather than deadlock. Returns the locked participant.
 */
export async function lockCoverageAfter(
  tx: Transaction,
  participantId: number,
  lastMonth: string,
): Promise<ParticipantRow | null> {
  const covering = await paymentsCoveringAfter(tx, participantId, lastMonth);
  for (const { paymentId } of covering) await lockPayment(tx, paymentId);
  const sponsorshipIds = [
    ...new Set(covering.flatMap((row) => (row.sponsorshipId === null ? [] : [row.sponsorshipId]))),
  ];
  for (const id of sponsorshipIds.sort((a, b) => a - b)) await lockSponsorshipForSpending(tx, id);
  return lockParticipant(tx, participantId);
}

/**
 * Gives back every month the participant's payments cover after `lastMonth`, and exactly its worth
 * (each program's monthly amount, as any refund): to the sponsorship's budget for a sponsor
 * batch's payment, to whoever paid otherwise. A payment that keeps earlier months is REFUNDED
 * with the amount given back, as a channel's refund leaves it; one refunded before gives back the
 * rest on top. Call after `lockCoverageAfter` in the same transaction.
 */
export async function refundMonthsAfter(
  tx: Transaction,
  participant: ParticipantRow,
  lastMonth: string,
  now: Date,
): Promise<ExitRefund[]> {
  return refundCovering(tx, await paymentsCoveringAfter(tx, participant.id, lastMonth), now);
}

/** Gives back these months of these payments, each payment's worth for its months. */
async function refundCovering(
  tx: Transaction,
  rows: { paymentId: number; sponsorshipId: number | null; months: string[] }[],
  now: Date,
): Promise<ExitRefund[]> {
  const refunds: ExitRefund[] = [];
  for (const covering of rows) {
    const payment = await lockPayment(tx, covering.paymentId);
    if (!payment) throw new Error(`covered month of missing payment ${covering.paymentId}`);
    const worth = refundAmount(payment.lines, covering.months.length);
    await uncoverMonths(tx, payment.id, covering.months);
    const refunded = await updatePayment(tx, payment.id, {
      status: "REFUNDED",
      refundedAt: now.toISOString(),
      refundedAmount: (payment.refundedAmount ?? 0n) + worth,
    });
    if (covering.sponsorshipId !== null) await recordSponsorshipSpending(tx, covering.sponsorshipId, -worth);
    refunds.push({ payment: refunded, months: covering.months, amount: worth, sponsorshipId: covering.sponsorshipId });
  }
  return refunds;
}

/**
 * Merges a duplicate's coverage into the record kept: a month both covered was paid twice, so the
 * duplicate's payment gives it back (to the payer, or the sponsorship's budget); every other month
 * and every payment moves to the record kept. Coverage stays one unbroken run from the current
 * month: each record's run already is one, and their union of two such runs is too. Both
 * participants must be locked by the caller.
 */
export async function mergeCoverageInto(
  tx: Transaction,
  duplicateId: number,
  keptId: number,
  now: Date,
): Promise<ExitRefund[]> {
  const kept = new Set(await coveredMonthsOf(tx, keptId));
  const twice = (await coveredMonthsOf(tx, duplicateId)).filter((month) => kept.has(month));
  const refunds = await refundCovering(tx, await paymentsCovering(tx, duplicateId, twice), now);
  await moveCoverageTo(tx, duplicateId, keptId);
  return refunds;
}

/** The last month the participant's settled payments cover: what their `paid_through` must be. */
export function paidThroughFromPayments(tx: Transaction, participantId: number): Promise<string | null> {
  return lastCoveredMonth(tx, participantId);
}

/** Records the `payment.refunded` events of an exit's refunds, with the participant as they now are. */
export async function recordExitRefunds(
  tx: Transaction,
  refunds: readonly ExitRefund[],
  participant: ParticipantRow,
  now: Date,
): Promise<void> {
  for (const refund of refunds) await recordPaymentEvent(tx, "payment.refunded", refund.payment, participant, now);
}

/** settlePayment: a back office records a channel's outcome by hand; the webhook is the usual path. */
export async function settlePayment(ctx: ServiceContext, raw: SettlePaymentInput): Promise<PaymentResult> {
  if (!may(ctx.viewer, "payment:settle")) throw forbidden(msg("FORBIDDEN.settle"));
  const now = ctx.clock.now();
  return audited<PaymentResult>(ctx, "settlePayment", async (tx) => {
    const parsed = settlePaymentInput.safeParse(raw);
    if (!parsed.success) {
      const userErrors = zodUserErrors(parsed.error, ["input"]);
      return { result: { payment: null, participant: null, userErrors }, targetIds: [], outcome: "REJECTED" };
    }
    const input = parsed.data;
    const applied = await applyPaymentOutcome(tx, input.paymentId, input.outcome, now, input);
    const targetIds = [`payment:${input.paymentId}`];
    if ("message" in applied) {
      const field =
        applied.kind === "AMOUNT_MISMATCH" ? "amount" : applied.kind === "NOT_FOUND" ? "paymentId" : "outcome";
      return rejection(
        { payment: null, participant: null, userErrors: [userError(applied.kind, applied.message, ["input", field])] },
        targetIds,
      );
    }
    return {
      result: { payment: applied.payment, participant: applied.participant, userErrors: [] },
      targetIds: [...targetIds, `participant:${applied.participant.id}`],
      outcome: applied.kind === "APPLIED" ? "SUCCEEDED" : "REPLAYED",
      details: { status: applied.payment.status, coverageThrough: applied.payment.coverageThrough },
    };
  });
}

export type NotificationOutcome =
  | "APPLIED"
  | "ALREADY_APPLIED"
  | "UNKNOWN_PAYMENT"
  | "CHANNEL_MISMATCH"
  | "CURRENCY_MISMATCH"
  | "AMOUNT_MISMATCH"
  | "INVALID_TRANSITION"
  | "OUT_OF_ORDER"
  | "REFERENCE_REUSED";

/** Refusals caused by arrival order, not by the notification: a redelivery is judged again. */
const retryableOutcomes: ReadonlySet<string> = new Set<NotificationOutcome>(["OUT_OF_ORDER"]);

export interface NotificationResult {
  outcome: NotificationOutcome;
  duplicate: boolean;
  paymentId: number | null;
  batchId?: number | null;
}

/**
 * A payment channel's notification. Idempotent on the channel's reference: a replay answers with
 * the first delivery's outcome and changes nothing. Refused notifications (wrong amount, currency,
 * channel, unknown payment) are recorded with their reason and change nothing else.
 */
export async function receiveChannelNotification(
  ctx: { db: ServiceContext["db"]; requestId: string; clock: ServiceContext["clock"] },
  channel: string,
  notification: ChannelNotification,
): Promise<NotificationResult> {
  const now = ctx.clock.now();
  const viewer: Viewer = {
    kind: "user",
    role: "PARTNER",
    subject: `channel:${channel}`,
    scopes: new Set(["payments:settle"]),
  };
  return audited<NotificationResult>(
    { db: ctx.db, viewer, requestId: ctx.requestId, clock: ctx.clock },
    "paymentChannelNotification",
    async (tx) => {
      const paymentId = notification.paymentId ? decodeGlobalId(notification.paymentId, "Payment") : null;
      const batchId = notification.batchId ? decodeGlobalId(notification.batchId, "PaymentBatch") : null;
      const amount = BigInt(notification.amount);
      const bodyHash = await sha256Hex(
        JSON.stringify([
          notification.paymentId ?? null,
          notification.batchId ?? null,
          notification.status,
          notification.amount,
          notification.currency,
        ]),
      );
      const inserted = await insertPaymentEventUnlessSeen(tx, {
        channel,
        reference: notification.reference,
        paymentId: null,
        status: notification.status,
        amount,
        currency: notification.currency,
        outcome: "RECEIVED",
        bodyHash,
        receivedAt: now.toISOString(),
      });
      const targetIds = [`payment-event:${channel}:${notification.reference}`];
      let event = inserted;
      if (!event) {
        // Held until this transaction ends: redeliveries of one reference are judged one at a time.
        const first = await lockPaymentEvent(tx, channel, notification.reference);
        if (first && first.bodyHash !== null && first.bodyHash !== bodyHash) {
          return {
            result: { outcome: "REFERENCE_REUSED", duplicate: false, paymentId: first.paymentId ?? null },
            targetIds,
            outcome: "REJECTED",
            details: { reference: notification.reference, outcome: "REFERENCE_REUSED" },
          };
        }
        if (!first || !retryableOutcomes.has(first.outcome)) {
          const outcome = (first?.outcome ?? "APPLIED") as NotificationOutcome;
          return {
            result: { outcome, duplicate: true, paymentId: first?.paymentId ?? null },
            targetIds,
            outcome: "REPLAYED",
          };
        }
        event = first;
      }
      const eventId = event.id;
      // A payment and a batch take the same checks in the same order; only the rows differ.
      const target =
        notification.batchId !== undefined
          ? { id: batchId, find: findPaymentBatchById, apply: applyBatchOutcome }
          : { id: paymentId, find: findPayment, apply: applyPaymentOutcome };
      const decide = async (): Promise<NotificationOutcome> => {
        if (target.id === null) return "UNKNOWN_PAYMENT";
        const row = await target.find(tx, target.id);
        if (!row) return "UNKNOWN_PAYMENT";
        if (row.channel !== channel) return "CHANNEL_MISMATCH";
        if (notification.currency !== "IDR") return "CURRENCY_MISMATCH";
        const applied = await target.apply(tx, row.id, notification.status, now, {
          externalReference: notification.reference,
          amount,
        });
        return applied.kind === "NOT_FOUND" ? "UNKNOWN_PAYMENT" : applied.kind;
      };
      const outcome = await decide();
      const knownPayment = outcome === "UNKNOWN_PAYMENT" ? null : paymentId;
      if (batchId !== null) targetIds.push(`payment-batch:${batchId}`);
      await setPaymentEventOutcome(tx, eventId, outcome, knownPayment);
      return {
        result: {
          outcome,
          duplicate: false,
          paymentId: knownPayment,
          batchId: outcome === "UNKNOWN_PAYMENT" ? null : batchId,
        },
        targetIds: knownPayment ? [...targetIds, `payment:${knownPayment}`] : targetIds,
        outcome: outcome === "APPLIED" ? "SUCCEEDED" : outcome === "ALREADY_APPLIED" ? "REPLAYED" : "REJECTED",
        details: { status: notification.status, amount: notification.amount, currency: notification.currency, outcome },
      };
    },
  );
}

/**
 * The payments' part of the daily job (`src/daily-job.ts`): partitions for the ids to come, made
 * days before they are needed, and keys past the days they are honoured forgotten.
 */
export function paymentUpkeepSteps(now: Date): JobStep[] {
  return [
    {
      name: "payments:partitions-ahead",
      run: async (tx) => partitionsChanged(await addPaymentPartitions(tx)),
    },
    {
      name: "payments:keys-forgotten",
      run: async (tx) => ({
        forgotten: await forgetPaymentKeys(tx, new Date(now.getTime() - paymentKeyDays * 86_400_000).toISOString()),
      }),
    },
  ];
}
