import { z } from "zod";
import { says } from "../../shared/messages";
import { programs } from "../contributions/tables";
import { exitReasons } from "../participants/exit-reasons";
import { segments } from "../participants/tables";

const ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** recordExit's input; whether the exit applies to this member follows in the service (`exitProblems`). */
export const recordExitInput = z.object({
  participantId: z.number().int(),
  reason: z.enum(exitReasons),
  effectiveOn: z.string().regex(ISO_DATE, says("INVALID_INPUT.date")),
  jkmClaimReference: z
    .string()
    .trim()
    .min(1, says("INVALID_INPUT.claimReference"))
    .max(60, says("INVALID_INPUT.claimReference"))
    .nullish()
    .transform((value) => value ?? null),
});
export type RecordExitInput = z.input<typeof recordExitInput>;

/** withdrawDeathReport's input: the reason is kept in the audit log, so it must say something. */
export const withdrawDeathReportInput = z.object({
  participantId: z.number().int(),
  reason: z
    .string()
    .trim()
    .min(10, says("INVALID_INPUT.withdrawalReason"))
    .max(500, says("INVALID_INPUT.withdrawalReason")),
});
export type WithdrawDeathReportInput = z.input<typeof withdrawDeathReportInput>;

/** moveSegment's input; whether the move applies to this member follows in the service (`moveProblems`). */
export const moveSegmentInput = z.object({
  participantId: z.number().int(),
  to: z.enum(segments),
  effectiveOn: z.string().regex(ISO_DATE, says("INVALID_INPUT.date")),
  employer: z
    .object({
      name: z.string().trim().min(2, says("INVALID_INPUT.employerName")).max(150, says("INVALID_INPUT.employerName")),
      registrationNumber: z
        .string()
        .trim()
        .min(1, says("INVALID_INPUT.employerNumber"))
        .max(40, says("INVALID_INPUT.employerNumber"))
        .nullish()
        .transform((value) => value ?? null),
    })
    .nullish()
    .transform((value) => value ?? null),
  reportedMonthlyIncome: z.bigint(says("INVALID_INPUT.incomeWhole")).positive(says("INVALID_INPUT.incomePositive")),
  programs: z.array(z.enum(programs)),
  occupation: z.string().trim().min(2, says("INVALID_INPUT.occupationRequired")).max(120).nullish(),
});
export type MoveSegmentInput = z.input<typeof moveSegmentInput>;
