import { z } from "zod";
import { says } from "../../shared/messages";
import { exitReasons } from "./rules";

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
