import { z } from "zod";
import { says } from "../../shared/messages";
import { eventTypes } from "./catalogue";

const regionCode = z
  .string()
  .regex(/^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$/, says("INVALID_INPUT.regionCode"));

/**
 * Hosts a production endpoint may not name: loopback, private, link-local (cloud metadata) and
 * unique-local addresses, and names that only resolve inside a network. Deliveries are requests
 * the API makes on a partner's behalf; they must not reach the API's own neighbours.
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) {
    return true;
  }
  if (!host.includes(".") && !host.includes(":")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (host.includes(":")) {
    return (
      host === "::" || host === "::1" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith("::ffff:")
    );
  }
  return false;
}

/**
 * Plain http, and hosts on this machine or network, only outside production (a receiver on
 * localhost); never credentials in the URL.
 */
export function endpointUrl(production: boolean) {
  return z
    .string()
    .max(2048)
    .refine(
      (text) => {
        try {
          const url = new URL(text);
          if (url.username || url.password) return false;
          if (!production) return url.protocol === "https:" || url.protocol === "http:";
          return url.protocol === "https:" && !isInternalHost(url.hostname);
        } catch {
          return false;
        }
      },
      production ? says("INVALID_INPUT.publicUrl") : says("INVALID_INPUT.url"),
    );
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
