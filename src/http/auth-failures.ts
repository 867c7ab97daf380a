import { parseApiKey } from "../modules/credentials/api-keys";
import { sha256Hex } from "../shared/digest";
import { memoryRateLimiter, type RateLimiter } from "./rate-limit";

/** Failed authentications one credential may make from one address in a window before it is throttled. */
export const AUTH_FAILURE_LIMIT = 20;
export const AUTH_FAILURE_PERIOD_SECONDS = 60;

/**
 * Which credential a request presents, without keeping it: `exact` names this very credential (a
 * digest of the header), `family` what a guesser varies it around (an API key's public prefix:
 * guessing one key's secret is one family; a token is its own family).
 */
export interface CredentialFingerprint {
  exact: string;
  family: string;
}

/** The fingerprint of the credential in these headers, or null when there is none. */
export async function credentialFingerprint(headers: Headers): Promise<CredentialFingerprint | null> {
  const authorization = headers.get("authorization");
  const apiKey = headers.get("x-api-key");
  const presented = authorization ?? apiKey;
  if (presented === null) return null;
  const exact = (await sha256Hex(`${authorization === null ? "key" : "bearer"}:${presented}`)).slice(0, 32);
  const parsed = authorization === null ? parseApiKey(presented.trim()) : null;
  return { exact, family: parsed ? `key:${parsed.prefix}` : exact };
}

export interface AuthFailureGuard {
  /** Whether any credential is turned away at all now: when not, no request needs its fingerprint taken. */
  blocksAny(): boolean;
  /**
   * Whether this exact credential, from this address, is turned away before it is checked (no
   * database lookup): it failed too often. A credential that verifies never fails, so it is never
   * turned away here, whatever else comes from its address.
   */
  isBlocked(address: string, credential: CredentialFingerprint): boolean;
  /**
   * Counts a failed authentication; true when this credential, or its family (one key's prefix
   * with guessed secrets), is over the limit from this address: the failure is answered 429.
   */
  recordFailure(address: string, credential: CredentialFingerprint): Promise<boolean>;
}

/**
 * Failed credentials are counted per client address *and* credential, so one misbehaving client
 * behind a shared address (a carrier's NAT, a bank's egress) throttles only itself:
 * - the same wrong credential again and again is refused with 429 after the limit without a
 *   database lookup;
 * - secrets guessed for one API key's prefix are answered 429 after the limit, while the key's
 *   real secret from the same address still verifies and goes through;
 * - different wrong credentials are each checked (one indexed lookup, or a signature check): the
 *   price of never refusing a valid caller unchecked. Key secrets are 256 random bits and tokens
 *   are signed, so checking them cannot be turned into guessing one.
 * The counter is the Workers rate-limiting binding when bound (shared across isolates), else a
 * window in memory; the block list is per isolate and expires with the window.
 */
export function authFailureGuard(
  counter: RateLimiter = memoryRateLimiter({ limit: AUTH_FAILURE_LIMIT, periodSeconds: AUTH_FAILURE_PERIOD_SECONDS }),
  now: () => number = Date.now,
): AuthFailureGuard {
  const blockedUntil = new Map<string, number>();
  const over = async (key: string) => !(await counter.limit({ key: `auth-failure:${key}` })).success;
  return {
    blocksAny: () => blockedUntil.size > 0,
    isBlocked(address, credential) {
      const key = `${address}|${credential.exact}`;
      const until = blockedUntil.get(key);
      if (until === undefined) return false;
      if (until > now()) return true;
      blockedUntil.delete(key);
      return false;
    },
    async recordFailure(address, credential) {
      if (await over(`${address}|${credential.exact}`)) {
        if (blockedUntil.size > 10_000) blockedUntil.clear();
        blockedUntil.set(`${address}|${credential.exact}`, now() + AUTH_FAILURE_PERIOD_SECONDS * 1000);
        return true;
      }
      return credential.family !== credential.exact && (await over(`${address}|${credential.family}`));
    },
  };
}

/** True the first time a key is seen in a window: refusals under a flood are audited once, not per request. */
export function oncePerWindow(periodSeconds: number, now: () => number = Date.now): (key: string) => boolean {
  const seen = new Map<string, number>();
  return (key) => {
    const at = now();
    const until = seen.get(key);
    if (until !== undefined && until > at) return false;
    if (seen.size > 10_000) seen.clear();
    seen.set(key, at + periodSeconds * 1000);
    return true;
  };
}
