import type { Database } from "../../db/client";
import type { Clock } from "../../shared/clock";
import { encodeGlobalId } from "../../shared/ids";
import { msg, render, say } from "../../shared/messages";
import { type NotificationOutcome, receiveChannelNotification } from "./service";
import { verifySignature } from "./signature";
import { channelNotification } from "./validation";

export interface WebhookReply {
  status: 200 | 400 | 401 | 404 | 409 | 422;
  body: Record<string, unknown>;
}

const statusFor: Record<NotificationOutcome, WebhookReply["status"]> = {
  APPLIED: 200,
  ALREADY_APPLIED: 200,
  UNKNOWN_PAYMENT: 404,
  INVALID_TRANSITION: 409,
  OUT_OF_ORDER: 409,
  REFERENCE_REUSED: 409,
  CHANNEL_MISMATCH: 422,
  CURRENCY_MISMATCH: 422,
  AMOUNT_MISMATCH: 422,
};

function refusal(status: WebhookReply["status"], code: string, message: string): WebhookReply {
  return { status, body: { error: { code, message } } };
}

/**
 * `POST /webhooks/payments/:channel`: a payment channel reports a payment's outcome. The signature
 * is checked over the raw bytes before anything is parsed; see docs/partners.md "Payment channel webhook".
 */
export async function handlePaymentWebhook(
  deps: { db: Database; clock: Clock; requestId: string; secrets: ReadonlyMap<string, string> },
  channel: string,
  signature: string | undefined,
  rawBody: string,
): Promise<WebhookReply> {
  const secret = deps.secrets.get(channel);
  if (!secret) return refusal(404, "UNKNOWN_CHANNEL", say("UNKNOWN_CHANNEL", { channel }));
  const problem = await verifySignature(signature, rawBody, secret, deps.clock.now());
  if (problem) {
    const messages = {
      MISSING: msg("INVALID_SIGNATURE.MISSING"),
      MALFORMED: msg("INVALID_SIGNATURE.MALFORMED"),
      STALE: msg("INVALID_SIGNATURE.STALE"),
      MISMATCH: msg("INVALID_SIGNATURE"),
    };
    return refusal(401, "INVALID_SIGNATURE", render(messages[problem]));
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return refusal(400, "MALFORMED_JSON", say("MALFORMED_JSON"));
  }
  const parsed = channelNotification.safeParse(json);
  if (!parsed.success) {
    return {
      status: 400,
      body: {
        error: {
          code: "INVALID_NOTIFICATION",
          message: say("INVALID_NOTIFICATION"),
          // `field` is a path, as in GraphQL userErrors: ["amount"].
          issues: parsed.error.issues.map((issue) => ({
            field: issue.path.map((part) => String(part)),
            code: "INVALID_INPUT",
            message: issue.message,
          })),
        },
      },
    };
  }
  const result = await receiveChannelNotification(deps, channel, parsed.data);
  return {
    status: statusFor[result.outcome],
    body: {
      outcome: result.outcome,
      duplicate: result.duplicate,
      paymentId: result.paymentId === null ? null : encodeGlobalId("Payment", result.paymentId),
      ...(result.batchId ? { batchId: encodeGlobalId("PaymentBatch", result.batchId) } : {}),
    },
  };
}
