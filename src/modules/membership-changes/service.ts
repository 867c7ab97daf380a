/**
 * Changes to membership over a working life that reach across modules: an exit ends the member's
 * memberships (participants), gives back the months paid beyond it (payments, and a sponsor's
 * budget), and tells partners. Each runs in one transaction with its audit row.
 */
import type { ServiceContext } from "../../context";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import { audited, rejection } from "../audit/service";
import { recordParticipantEvent } from "../participants/events";
import {
  endMemberships,
  findVisibleParticipant,
  lockParticipant,
  membershipsOf,
  openMemberships,
  type ParticipantRow,
  reopenMemberships,
  updateParticipantRow,
} from "../participants/service";
import {
  type ExitRefund,
  lockCoverageAfter,
  paidThroughFromPayments,
  recordExitRefunds,
  refundMonthsAfter,
} from "../payments/service";
import { exitProblems, lastCoveredMonthOfExit } from "./rules";
import {
  type RecordExitInput,
  recordExitInput,
  type WithdrawDeathReportInput,
  withdrawDeathReportInput,
} from "./validation";

export interface RecordExitResult {
  participant: ParticipantRow | null;
  refunds: ExitRefund[];
  userErrors: UserError[];
}

/**
 * Records that a member left for good: their open memberships end on the day it happened, the
 * months paid beyond that month are given back (to the sponsorship's budget or to whoever paid),
 * and from then on they are EXITED: out of active counts, work lists, reminders and sponsor batches.
 * Nothing is written unless every check passes.
 */
export async function recordExit(ctx: ServiceContext, raw: RecordExitInput): Promise<RecordExitResult> {
  if (!may(ctx.viewer, "membership:recordExit")) throw forbidden(msg("FORBIDDEN.recordExit"));
  const now = ctx.clock.now();
  return audited<RecordExitResult>(ctx, "recordExit", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection<RecordExitResult>({ participant: null, refunds: [], userErrors }, targetIds);
    const parsed = recordExitInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    const notFound = userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "participantId"]);
    // An officer's reach is their region: a worker elsewhere does not exist for them.
    const visible = await findVisibleParticipant(tx, ctx.viewer, input.participantId);
    if (!visible) return rejected([notFound]);
    const lastMonth = lastCoveredMonthOfExit(input.effectiveOn);
    const participant = await lockCoverageAfter(tx, visible.id, lastMonth);
    if (!participant) return rejected([notFound]);
    const target = [`participant:${participant.id}`];
    if (participant.exitedOn !== null) {
      return rejected(
        [
          userError("PARTICIPANT_EXITED", msg("PARTICIPANT_EXITED.exit", { exitedOn: participant.exitedOn }), [
            "input",
            "participantId",
          ]),
        ],
        target,
      );
    }
    const open = await openMemberships(tx, participant.id);
    const startedOn = open.map((membership) => membership.startedOn).sort()[0] ?? participant.registeredAt.slice(0, 10);
    const problems = exitProblems(
      { reason: input.reason, effectiveOn: input.effectiveOn, jkmClaimReference: input.jkmClaimReference },
      { birthDate: participant.birthDate, segment: participant.segment, startedOn },
      now,
    );
    if (problems.length > 0) {
      return rejected(
        problems.map((problem) => userError(problem.code, problem.message, ["input", problem.field])),
        target,
      );
    }

    await endMemberships(
      tx,
      open.map((membership) => membership.id),
      { endedOn: input.effectiveOn, reason: input.reason, jkmClaimReference: input.jkmClaimReference },
    );
    const refunds = await refundMonthsAfter(tx, participant, lastMonth, now);
    const paidThrough = await paidThroughFromPayments(tx, participant.id);
    const exited = await updateParticipantRow(tx, participant.id, { paidThrough, exitedOn: input.effectiveOn }, now);
    if (!exited) throw new Error(`participant ${participant.id} vanished under its lock`);
    await recordExitRefunds(tx, refunds, exited, now);
    const refunded = refunds.map((refund) => ({
      paymentId: refund.payment.id,
      months: refund.months.map((month) => month.slice(0, 7)),
      amount: refund.amount.toString(),
      returnedTo: refund.sponsorshipId === null ? "PAYER" : "SPONSORSHIP_BUDGET",
    }));
    await recordParticipantEvent(tx, "participant.exited", exited, now, {
      reason: input.reason,
      effectiveOn: input.effectiveOn,
      ...(input.jkmClaimReference ? { jkmClaimReference: input.jkmClaimReference } : {}),
      refunds: refunded,
    });
    return {
      result: { participant: exited, refunds, userErrors: [] },
      targetIds: [...target, ...refunds.map((refund) => `payment:${refund.payment.id}`)],
      outcome: "SUCCEEDED",
      details: { reason: input.reason, effectiveOn: input.effectiveOn, refunds: refunded },
    };
  });
}

export interface WithdrawDeathReportResult {
  participant: ParticipantRow | null;
  userErrors: UserError[];
}

/**
 * Takes back a death recorded in error (ADMIN, with a reason the audit log keeps): the memberships
 * the death ended are open again and the participant is a member once more. Months given back at
 * the exit stay given back: the member resumes by paying, as any member in arrears does.
 */
export async function withdrawDeathReport(
  ctx: ServiceContext,
  raw: WithdrawDeathReportInput,
): Promise<WithdrawDeathReportResult> {
  if (!may(ctx.viewer, "membership:withdrawDeath")) throw forbidden(msg("FORBIDDEN.withdrawDeath"));
  const now = ctx.clock.now();
  return audited<WithdrawDeathReportResult>(ctx, "withdrawDeathReport", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection<WithdrawDeathReportResult>({ participant: null, userErrors }, targetIds);
    const parsed = withdrawDeathReportInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    const visible = await findVisibleParticipant(tx, ctx.viewer, input.participantId);
    const participant = visible ? await lockParticipant(tx, visible.id) : null;
    if (!participant) {
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "participantId"])]);
    }
    const target = [`participant:${participant.id}`];
    const ended = (await membershipsOf(tx, participant.id)).filter(
      (membership) => membership.endReason === "DEATH" && membership.endedOn === participant.exitedOn,
    );
    if (participant.exitedOn === null || ended.length === 0) {
      return rejected([userError("NOT_EXITED", msg("NOT_EXITED.death"), ["input", "participantId"])], target);
    }
    const reported = { effectiveOn: participant.exitedOn, jkmClaimReference: ended[0]?.jkmClaimReference ?? null };
    await reopenMemberships(
      tx,
      ended.map((membership) => membership.id),
    );
    const restored = await updateParticipantRow(tx, participant.id, { exitedOn: null }, now);
    if (!restored) throw new Error(`participant ${participant.id} vanished under its lock`);
    await recordParticipantEvent(tx, "participant.exit_withdrawn", restored, now, {
      reason: "DEATH",
      effectiveOn: reported.effectiveOn,
      withdrawalReason: input.reason,
    });
    return {
      result: { participant: restored, userErrors: [] },
      targetIds: target,
      outcome: "SUCCEEDED",
      details: { withdrawalReason: input.reason, reported },
    };
  });
}
