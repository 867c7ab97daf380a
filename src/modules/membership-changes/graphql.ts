import { builder } from "../../builder";
import { rowId } from "../../shared/ids";
import { ProgramEnum, SegmentEnum } from "../../shared/program-enums";
import { UserError } from "../../shared/user-error-type";
import { ExitReasonEnum, Participant } from "../participants/graphql";
import { Payment } from "../payments/graphql";
import type { ExitRefund } from "../payments/service";
import {
  type MoveSegmentResult,
  moveSegment,
  type RecordExitResult,
  recordExit,
  type WithdrawDeathReportResult,
  withdrawDeathReport,
} from "./service";

const RefundDestinationEnum = builder.enumType("RefundDestination", {
  description:
    "Where an exit's refund goes: back to the sponsorship's budget (a sponsor batch paid it), or to the payer.",
  values: ["SPONSORSHIP_BUDGET", "PAYER"] as const,
});

export const ExitRefundRef = builder.objectRef<ExitRefund>("ExitRefund").implement({
  description: "Months a payment covered after the exit's month, given back with their worth.",
  fields: (t) => ({
    payment: t.field({ type: Payment, resolve: (refund) => refund.payment }),
    months: t.field({ type: ["Month"], resolve: (refund) => refund.months }),
    amount: t.field({
      type: "Rupiah",
      description: "Each program's monthly amount for every month given back.",
      resolve: (refund) => refund.amount,
    }),
    returnedTo: t.field({
      type: RefundDestinationEnum,
      resolve: (refund) => (refund.sponsorshipId === null ? "PAYER" : "SPONSORSHIP_BUDGET"),
    }),
  }),
});

const RecordExitInput = builder.inputType("RecordExitInput", {
  fields: (t) => ({
    participantId: t.globalID({ required: true, for: Participant }),
    reason: t.field({ type: ExitReasonEnum, required: true }),
    effectiveOn: t.field({
      type: "Date",
      required: true,
      description:
        "The day it happened (WIB): not after today, not before the membership began. Coverage ends with that month; later months are refunded.",
    }),
    jkmClaimReference: t.string({ description: "DEATH only: the JKM claim's reference, when there is one." }),
  }),
});

const RecordExitPayload = builder.objectRef<RecordExitResult>("RecordExitPayload").implement({
  fields: (t) => ({
    participant: t.field({
      type: Participant,
      nullable: true,
      description: "EXITED; null when userErrors is not empty.",
      resolve: (result) => result.participant,
    }),
    refunds: t.field({ type: [ExitRefundRef], resolve: (result) => result.refunds }),
    userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
  }),
});

const WithdrawDeathReportInput = builder.inputType("WithdrawDeathReportInput", {
  fields: (t) => ({
    participantId: t.globalID({ required: true, for: Participant }),
    reason: t.string({
      required: true,
      description: "Why the report was wrong (kept in the audit log), 10 to 500 characters.",
    }),
  }),
});

const WithdrawDeathReportPayload = builder
  .objectRef<WithdrawDeathReportResult>("WithdrawDeathReportPayload")
  .implement({
    fields: (t) => ({
      participant: t.field({
        type: Participant,
        nullable: true,
        description: "A member again; null when userErrors is not empty.",
        resolve: (result) => result.participant,
      }),
      userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
    }),
  });

const EmployerInput = builder.inputType("EmployerInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    registrationNumber: t.string({ description: "The employer's registration number with the agency." }),
  }),
});

const MoveSegmentInput = builder.inputType("MoveSegmentInput", {
  fields: (t) => ({
    participantId: t.globalID({ required: true, for: Participant }),
    to: t.field({ type: SegmentEnum, required: true, description: "PU when hired, BPU when the job ended." }),
    effectiveOn: t.field({
      type: "Date",
      required: true,
      description:
        "The first day in the new segment (WIB; not after today). The old membership ends at that month's end; the new segment is paid from the next month.",
    }),
    employer: t.field({ type: EmployerInput, description: "Required for PU; not allowed for BPU." }),
    reportedMonthlyIncome: t.field({
      type: "Rupiah",
      required: true,
      description: "PU: the monthly wage; BPU: the reported income (Rp1,000,000 to Rp20,700,000).",
    }),
    programs: t.field({ type: [ProgramEnum], required: true, description: "The new segment's programs." }),
    occupation: t.string({ description: "A new occupation (a code or a name), when the work changes too." }),
  }),
});

const MoveSegmentPayload = builder.objectRef<MoveSegmentResult>("MoveSegmentPayload").implement({
  fields: (t) => ({
    participant: t.field({
      type: Participant,
      nullable: true,
      description: "In the new segment, with a new open membership; null when userErrors is not empty.",
      resolve: (result) => result.participant,
    }),
    refunds: t.field({
      type: [ExitRefundRef],
      description: "Months paid under the old segment after the move's month, given back.",
      resolve: (result) => result.refunds,
    }),
    userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
  }),
});

builder.mutationFields((t) => ({
  moveSegment: t.field({
    type: MoveSegmentPayload,
    description:
      "Moves a worker between BPU and PU (hired, or the job ended): a new membership with its own KPJ number, the old one ended at the move's month end, later months refunded, and a move to PU ends the worker's sponsorships. Emits `participant.moved`.",
    authScopes: { action: "membership:move" },
    args: { input: t.arg({ type: MoveSegmentInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      moveSegment(ctx, {
        participantId: rowId(input.participantId.id) ?? -1,
        to: input.to,
        effectiveOn: input.effectiveOn,
        employer: input.employer
          ? { name: input.employer.name, registrationNumber: input.employer.registrationNumber ?? null }
          : null,
        reportedMonthlyIncome: input.reportedMonthlyIncome,
        programs: input.programs,
        occupation: input.occupation ?? null,
      }),
  }),
  recordExit: t.field({
    type: RecordExitPayload,
    description:
      "Records that a member left for good (officers in their region, ADMIN): their memberships end, months paid after the exit's month are refunded, and they are EXITED from then on. Emits `participant.exited`.",
    authScopes: { action: "membership:recordExit" },
    args: { input: t.arg({ type: RecordExitInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      recordExit(ctx, {
        participantId: rowId(input.participantId.id) ?? -1,
        reason: input.reason,
        effectiveOn: input.effectiveOn,
        jkmClaimReference: input.jkmClaimReference ?? null,
      }),
  }),
  withdrawDeathReport: t.field({
    type: WithdrawDeathReportPayload,
    description:
      "Takes back a death recorded in error (ADMIN, with a reason; audited): the memberships it ended open again. Refunded months stay refunded. Emits `participant.exit_withdrawn`.",
    authScopes: { action: "membership:withdrawDeath" },
    args: { input: t.arg({ type: WithdrawDeathReportInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      withdrawDeathReport(ctx, { participantId: rowId(input.participantId.id) ?? -1, reason: input.reason }),
  }),
}));
