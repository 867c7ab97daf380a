/**
 * The membership card's verification code: a compact JWS (a JWT, RFC 7519) signed with HMAC-SHA256,
 * short enough for a QR code (~150 characters). It carries the membership's id and the code's
 * issue and expiry times, nothing else: no NIK, no name, no KPJ number, so a scanned code tells its
 * reader nothing until the API vouches for it (`verifyMembershipCard`).
 *
 * Keys come from `CARD_SIGNING_KEYS` (`<kid>:<base64 key>,…`): the first signs, every one verifies,
 * and the signing key's id travels in the header (`kid`), so a new key can be put first while codes
 * signed with the previous one stay checkable until they expire (24 h).
 */
import { errors, jwtVerify, SignJWT } from "jose";
import { CARD_CODE_TTL_SECONDS, MAX_CARD_CODE_LENGTH } from "./rules";

export interface CardSigningKey {
  kid: string;
  secret: Uint8Array;
}

/** Keys of at least 256 bits, as HS256 needs (RFC 7518 §3.2). */
export const MIN_CARD_KEY_BYTES = 32;
const KID = /^[A-Za-z0-9_-]{1,16}$/;

function base64Bytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * `CARD_SIGNING_KEYS` read: `<kid>:<base64 key>` entries, comma-separated, the first one signing. A
 * problem names the entry's key id or position, never a key.
 */
export function parseCardSigningKeys(text: string): { keys: CardSigningKey[] } | { problem: string } {
  const keys: CardSigningKey[] = [];
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return { problem: "needs at least one <kid>:<base64 key> entry" };
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(":");
    const kid = separator > 0 ? entry.slice(0, separator) : "";
    if (!KID.test(kid)) {
      return { problem: `entry ${index + 1} must be <kid>:<base64 key>, the kid 1-16 of A-Z a-z 0-9 _ -` };
    }
    const secret = base64Bytes(entry.slice(separator + 1));
    if (!secret || secret.length < MIN_CARD_KEY_BYTES) {
      return {
        problem: `the key "${kid}" must be at least ${MIN_CARD_KEY_BYTES} random bytes, base64 (openssl rand -base64 32)`,
      };
    }
    if (keys.some((key) => key.kid === kid)) return { problem: `the key id "${kid}" is given twice` };
    keys.push({ kid, secret });
  }
  return { keys };
}

export interface CardCode {
  code: string;
  issuedAt: Date;
  expiresAt: Date;
}

/** A code for this membership, valid for CARD_CODE_TTL_SECONDS from `now`, signed with the first key. */
export async function signCardCode(
  keys: readonly CardSigningKey[],
  membershipId: number,
  now: Date,
): Promise<CardCode> {
  const [key] = keys;
  if (!key) throw new Error("no card signing key");
  const issued = Math.floor(now.getTime() / 1000);
  const expires = issued + CARD_CODE_TTL_SECONDS;
  // `mid`, not `sub`: no bearer token carries it, so neither kind of JWT passes for the other.
  const code = await new SignJWT({ mid: membershipId })
    .setProtectedHeader({ alg: "HS256", kid: key.kid })
    .setIssuedAt(issued)
    .setExpirationTime(expires)
    .sign(key.secret);
  return { code, issuedAt: new Date(issued * 1000), expiresAt: new Date(expires * 1000) };
}

export type CardCodeCheck =
  | { outcome: "GENUINE"; membershipId: number; expiresAt: Date }
  | { outcome: "EXPIRED"; expiresAt: Date }
  | { outcome: "INVALID" };

const membershipIdOf = (value: unknown): number | null =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null;

/**
 * Whether a code is ours: its signature (jose compares MACs in constant time), then its expiry
 * against `now`. EXPIRED only for a code whose signature holds; anything malformed, tampered with,
 * signed by an unknown key or another algorithm is INVALID, never an exception.
 */
export async function checkCardCode(keys: readonly CardSigningKey[], code: string, now: Date): Promise<CardCodeCheck> {
  if (code.length === 0 || code.length > MAX_CARD_CODE_LENGTH) return { outcome: "INVALID" };
  try {
    const { payload } = await jwtVerify(
      code.trim(),
      (header) => {
        const key = keys.find((candidate) => candidate.kid === header.kid);
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key.secret;
      },
      { algorithms: ["HS256"], currentDate: now, requiredClaims: ["mid", "iat", "exp"] },
    );
    const membershipId = membershipIdOf(payload.mid);
    if (membershipId === null || typeof payload.exp !== "number") return { outcome: "INVALID" };
    return { outcome: "GENUINE", membershipId, expiresAt: new Date(payload.exp * 1000) };
  } catch (error) {
    // jose reports expiry only after the signature checked out.
    if (error instanceof errors.JWTExpired && typeof error.payload.exp === "number") {
      return membershipIdOf(error.payload.mid) === null
        ? { outcome: "INVALID" }
        : { outcome: "EXPIRED", expiresAt: new Date(error.payload.exp * 1000) };
    }
    return { outcome: "INVALID" };
  }
}
