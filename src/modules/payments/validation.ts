import { z } from "zod";
import { says } from "../../shared/messages";
import { paymentTerms } from "../contributions/rules";
import { programs } from "../contributions/tables";

export const channelCode = z
  .string()
  .trim()
  .regex(/^[A-Z0-9_]{2,40}$/, says("INVALID_INPUT.paymentChannel"));

export const idempotencyKey = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, says("INVALID_INPUT.idempotencyKey"));

export const payContributionInput = z.object({
  participantId: z.number().int().positive(),
  months: z
    .number()
    .int()
    .refine((months) => (paymentTerms as readonly number[]).includes(months), says("INVALID_MONTHS")),
  payerSponsorId: z.number().int().positive().nullish(),
  /** The programs this payment pays, when not all of the participant's: JKK and JKM (with or without others), or a part without them. */
  programs: z.array(z.enum(programs)).min(1).max(programs.length).nullish(),
  channel: channelCode,
  idempotencyKey,
});
export type PayContributionInput = z.input<typeof payContributionInput>;

export const settlePaymentInput = z.object({
  paymentId: z.number().int().positive(),
  outcome: z.enum(["SETTLED", "FAILED", "REFUNDED"]),
  externalReference: z.string().trim().min(1).max(128).nullish(),
  /** When given, must equal what the payment asks for (a settlement) or what its unused months are worth (a refund). */
  amount: z.bigint().nonnegative().nullish(),
});
export type SettlePaymentInput = z.input<typeof settlePaymentInput>;

/** What a payment channel posts to the webhook. */
export const channelNotification = z
  .object({
    reference: z.string().trim().min(1).max(128),
    /** The payment's GraphQL id; or `batchId` for a sponsor's transfer paying a whole batch. */
    paymentId: z.string().min(1).max(200).optional(),
    batchId: z.string().min(1).max(200).optional(),
    status: z.enum(["SETTLED", "FAILED", "REFUNDED"]),
    amount: z.string().regex(/^(0|[1-9][0-9]{0,18})$/, says("INVALID_INPUT.amountDigits")),
    currency: z.string().length(3),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((n) => (n.paymentId === undefined) !== (n.batchId === undefined), {
    ...says("INVALID_INPUT.paymentOrBatch"),
    path: ["paymentId"],
  });
export type ChannelNotification = z.infer<typeof channelNotification>;
