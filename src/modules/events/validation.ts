import { z } from "zod";
import { says } from "../../shared/messages";
import { eventTypes } from "../outbox/event-types";
import { destinationRefusal, normaliseEndpointUrl } from "./endpoint-url";

const regionCode = z
  .string()
  .regex(/^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$/, says("INVALID_INPUT.regionCode"));

/**
 * Whether a URL host is one a production endpoint may not name (see endpoint-url.ts): kept for
 * callers that hold a hostname rather than a URL.
 */
export function isInternalHost(hostname: string): boolean {
  const url = normaliseEndpointUrl(`https://${hostname}/`);
  return url === null || destinationRefusal(url) !== null;
}

/**
 * An endpoint's URL, normalised as it is stored (endpoint-url.ts): http(s), no credentials, no
 * whitespace or control characters; in production https only, to a public host. Plain http and
 * hosts on this machine or network are for development and tests (a receiver on 127.0.0.1).
 */
export function endpointUrl(production: boolean) {
  const refusal = production ? says("INVALID_INPUT.publicUrl") : says("INVALID_INPUT.url");
  return z
    .string()
    .max(2048)
    .transform((text, ctx) => {
      const url = normaliseEndpointUrl(text);
      const allowed = url !== null && (!production || (url.protocol === "https:" && destinationRefusal(url) === null));
      if (!url || !allowed) {
        ctx.addIssue({ code: "custom", message: refusal.error() });
        return z.NEVER;
      }
      return url.href;
    })
    .pipe(z.string().max(2048));
}

export function createEndpointInput(production: boolean) {
  return z.object({
    url: endpointUrl(production),
    description: z.string().trim().max(200).nullish(),
    eventTypes: z
      .array(z.enum(eventTypes))
      .min(1, says("INVALID_INPUT.eventTypeRequired"))
      .refine((types) => new Set(types).size === types.length, says("INVALID_INPUT.eventTypeOnce")),
    regionCode: regionCode.nullish(),
    sponsorId: z.number().int().positive().nullish(),
    paymentDueDays: z.number().int().min(1).max(28).nullish(),
  });
}

export const rotateSecretInput = z.object({
  /** How long the previous secret still signs (both signatures are sent), in hours. */
  overlapHours: z.number().int().min(0).max(168),
});

/** Replays reach back at most this far: the outbox keeps events at least as long. */
export const REPLAY_WINDOW_DAYS = 30;
export const REPLAY_MAX_EVENTS = 10_000;
export const MAX_ENDPOINTS_PER_OWNER = 20;
