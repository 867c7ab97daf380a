import { hmacSha256Hex, sameDigest } from "../../shared/digest";

/** How far a notification's timestamp may be from our clock: older ones are replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureProblem = "MISSING" | "MALFORMED" | "STALE" | "MISMATCH";

/**
 * Channel notifications carry `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` computed with the
 * channel's secret over `<t>.<raw body>`: the body cannot be altered, nor replayed once stale.
 */
export async function verifySignature(
  header: string | null | undefined,
  rawBody: string,
  secret: string,
  now: Date,
): Promise<SignatureProblem | null> {
  if (!header) return "MISSING";
  const parts = new Map(
    header.split(",").map((part) => {
      const [key = "", ...value] = part.trim().split("=");
      return [key, value.join("=")] as const;
    }),
  );
  const timestamp = parts.get("t") ?? "";
  const signature = parts.get("v1") ?? "";
  if (!/^[0-9]{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return "MALFORMED";
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return "STALE";
  const expected = await hmacSha256Hex(secret, `${timestamp}.${rawBody}`);
  return sameDigest(expected, signature) ? null : "MISMATCH";
}

/** The header a channel sends, for partners' reference implementations and tests. */
export async function signNotification(rawBody: string, secret: string, at: Date): Promise<string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `t=${timestamp},v1=${await hmacSha256Hex(secret, `${timestamp}.${rawBody}`)}`;
}
