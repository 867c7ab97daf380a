/**
 * Changes to membership over a working life that reach across modules: an exit or a move between
 * segments ends the member's memberships (participants), gives back the months paid beyond it
 * (payments, and a sponsor's budget), and tells partners. Each runs in one transaction with its
 * audit row.
 */
import type { ServiceContext } from "../../context";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import { audited, rejection } from "../audit/service";
import { recordParticipantEvent } from "../participants/events";
import { findOccupation } from "../participants/occupations";
import {
  endMemberships,
  endSponsorshipsOf,
  enrollmentErrors,
  findVisibleParticipant,
  insertMembership,
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
import { exitProblems, lastCoveredMonthOfExit, moveMonths, moveProblems } from "./rules";
import {
  type MoveSegmentInput,
  moveSegmentInput,
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

export interface MoveSegmentResult {
  participant: ParticipantRow | null;
  refunds: ExitRefund[];
  userErrors: UserError[];
}

/**
 * Moves a member between BPU and PU: hired (the employer pays from the next month) or the job
 * ended (the worker pays for themself again). The old membership ends at the end of the month the
 * move happens in and a new one opens with its own KPJ number; months paid beyond that month under
 * the old segment are given back (a sponsor's to its budget), and a move to PU ends every
 * sponsorship of the worker: the employer pays now. Nothing is written unless every check passes.
 */
export async function moveSegment(ctx: ServiceContext, raw: MoveSegmentInput): Promise<MoveSegmentResult> {
  if (!may(ctx.viewer, "membership:move")) throw forbidden(msg("FORBIDDEN.move"));
  const now = ctx.clock.now();
  return audited<MoveSegmentResult>(ctx, "moveSegment", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection<MoveSegmentResult>({ participant: null, refunds: [], userErrors }, targetIds);
    const parsed = moveSegmentInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    const notFound = userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "participantId"]);
    const visible = await findVisibleParticipant(tx, ctx.viewer, input.participantId);
    if (!visible) return rejected([notFound]);
    const months = moveMonths(input.effectiveOn);
    const participant = await lockCoverageAfter(tx, visible.id, months.lastOldMonth);
    if (!participant) return rejected([notFound]);
    const target = [`participant:${participant.id}`];
    if (participant.exitedOn !== null) {
      return rejected(
        [
          userError("PARTICIPANT_EXITED", msg("PARTICIPANT_EXITED.move", { exitedOn: participant.exitedOn }), [
            "input",
            "participantId",
          ]),
        ],
        target,
      );
    }
    const open = (await openMemberships(tx, participant.id)).filter((m) => m.segment === participant.segment);
    const startedOn = open[0]?.startedOn ?? participant.registeredAt.slice(0, 10);
    const errors = [
      ...moveProblems(
        { to: input.to, effectiveOn: input.effectiveOn, employerName: input.employer?.name ?? null },
        { segment: participant.segment, startedOn },
        now,
      ).map((problem) => userError("INVALID_MOVE", problem.message, ["input", problem.field])),
      ...enrollmentErrors(
        input.to,
        {
          programs: input.programs,
          reportedMonthlyIncome: input.reportedMonthlyIncome,
          ...(input.occupation ? { occupation: input.occupation } : {}),
        },
        ["input"],
      ),
    ];
    if (errors.length > 0) return rejected(errors, target);

    await endMemberships(
      tx,
      open.map((membership) => membership.id),
      { endedOn: months.oldEndsOn, reason: "MOVED_SEGMENT" },
    );
    const refunds = await refundMonthsAfter(tx, participant, months.lastOldMonth, now);
    const endedSponsorships = input.to === "PU" ? await endSponsorshipsOf(tx, participant.id, input.effectiveOn) : [];
    const occupation = input.occupation ? findOccupation(input.occupation) : undefined;
    const moved = await updateParticipantRow(
      tx,
      participant.id,
      {
        segment: input.to,
        programs: input.programs,
        reportedMonthlyIncome: input.reportedMonthlyIncome,
        paidThrough: await paidThroughFromPayments(tx, participant.id),
        ...(occupation ? { occupation: occupation.name, riskLevel: occupation.riskLevel } : {}),
        ...(input.to === "PU" ? { sponsorId: null } : {}),
      },
      now,
    );
    if (!moved) throw new Error(`participant ${participant.id} vanished under its lock`);
    const opened = await insertMembership(tx, {
      participantId: moved.id,
      segment: input.to,
      programs: input.programs,
      employerName: input.employer?.name ?? null,
      employerRegistrationNumber: input.employer?.registrationNumber ?? null,
      startedOn: input.effectiveOn,
      openReason: "MOVED_SEGMENT",
    });
    await recordExitRefunds(tx, refunds, moved, now);
    const refunded = refunds.map((refund) => ({
      paymentId: refund.payment.id,
      months: refund.months.map((month) => month.slice(0, 7)),
      amount: refund.amount.toString(),
      returnedTo: refund.sponsorshipId === null ? "PAYER" : "SPONSORSHIP_BUDGET",
    }));
    const facts = {
      from: participant.segment,
      to: input.to,
      effectiveOn: input.effectiveOn,
      kpj: opened.kpj,
      ...(input.employer ? { employer: input.employer } : {}),
      endedSponsorships: endedSponsorships.length,
      refunds: refunded,
    };
    await recordParticipantEvent(tx, "participant.moved", moved, now, facts);
    return {
      result: { participant: moved, refunds, userErrors: [] },
      targetIds: [...target, ...refunds.map((refund) => `payment:${refund.payment.id}`)],
      outcome: "SUCCEEDED",
      details: facts,
    };
  });
}
