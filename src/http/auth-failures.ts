import { memoryRateLimiter, type RateLimiter } from "./rate-limit";

/** Failed authentications one client address may make in a window before it is turned away. */
export const AUTH_FAILURE_LIMIT = 20;
export const AUTH_FAILURE_PERIOD_SECONDS = 60;

export interface AuthFailureGuard {
  /** Whether this address is turned away before any credential check (no database lookup). */
  isBlocked(address: string): boolean;
  /** Counts a failed authentication; true when it takes the address over the limit. */
  recordFailure(address: string): Promise<boolean>;
}

/**
 * Failed credentials are counted per client address before authentication, so guessing keys is
 * refused with 429 after a few tries instead of costing a database lookup each. The counter is
 * the Workers rate-limiting binding when bound (shared across isolates), else a window in memory;
 * the block list is per isolate and expires with the window.
 */
export function authFailureGuard(
  counter: RateLimiter = memoryRateLimiter({ limit: AUTH_FAILURE_LIMIT, periodSeconds: AUTH_FAILURE_PERIOD_SECONDS }),
  now: () => number = Date.now,
): AuthFailureGuard {
  const blockedUntil = new Map<string, number>();
  return {
    isBlocked(address) {
      const until = blockedUntil.get(address);
      if (until === undefined) return false;
      if (until > now()) return true;
      blockedUntil.delete(address);
      return false;
    },
    async recordFailure(address) {
      const { success } = await counter.limit({ key: `auth-failure:${address}` });
      if (success) return false;
      if (blockedUntil.size > 10_000) blockedUntil.clear();
      blockedUntil.set(address, now() + AUTH_FAILURE_PERIOD_SECONDS * 1000);
      return true;
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
