import { z } from "zod";
import { eventTypes } from "./catalogue";

const regionCode = z
  .string()
  .regex(
    /^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$/,
    "a region code such as 31, 31.71, 31.71.01 or 31.71.01.1001",
  );

/** Plain http only outside production (a receiver on localhost); never credentials in the URL. */
export function endpointUrl(production: boolean) {
  return z
    .string()
    .max(2048)
    .refine(
      (text) => {
        try {
          const url = new URL(text);
          if (url.username || url.password) return false;
          return url.protocol === "https:" || (!production && url.protocol === "http:");
        } catch {
          return false;
        }
      },
      production ? "an https:// URL without credentials" : "an http(s):// URL without credentials",
    );
}

export function createEndpointInput(production: boolean) {
  return z.object({
    url: endpointUrl(production),
    description: z.string().trim().max(200).nullish(),
    eventTypes: z
      .array(z.enum(eventTypes))
      .min(1, "at least one event type")
      .refine((types) => new Set(types).size === types.length, "each event type once"),
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
