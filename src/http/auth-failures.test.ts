import { describe, expect, it } from "vitest";
import { AUTH_FAILURE_LIMIT, authFailureGuard, credentialFingerprint } from "./auth-failures";

const KEY_A = `kp_aaaaaaaaaaaa_${"a".repeat(43)}`;
const KEY_A_GUESS = `kp_aaaaaaaaaaaa_${"b".repeat(43)}`;
const KEY_B = `kp_bbbbbbbbbbbb_${"a".repeat(43)}`;

async function fingerprint(headers: Record<string, string>) {
  const found = await credentialFingerprint(new Headers(headers));
  if (!found) throw new Error("no credential");
  return found;
}

describe("the sign-in failure limiter (issue 29, finding 6)", () => {
  it("fingerprints a credential without keeping it: an API key's family is its prefix", async () => {
    const a = await fingerprint({ "x-api-key": KEY_A });
    const guess = await fingerprint({ "x-api-key": KEY_A_GUESS });
    expect(a.family).toBe("key:aaaaaaaaaaaa");
    expect(guess.family).toBe(a.family);
    expect(guess.exact).not.toBe(a.exact);
    expect(JSON.stringify(a)).not.toContain("a".repeat(43));
    const token = await fingerprint({ authorization: "Bearer x.y.z" });
    expect(token.family).toBe(token.exact);
    expect(await credentialFingerprint(new Headers())).toBeNull();
  });

  it("throttles one credential from one address, not the others behind it", async () => {
    let now = 0;
    const guard = authFailureGuard(undefined, () => now);
    const repeated = await fingerprint({ authorization: "Bearer bad.token.value" });
    const valid = await fingerprint({ "x-api-key": KEY_B });
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) expect(await guard.recordFailure("203.0.113.5", repeated)).toBe(false);
    expect(guard.isBlocked("203.0.113.5", repeated)).toBe(false);
    // Nothing blocked yet: requests need no fingerprint taken.
    expect(guard.blocksAny()).toBe(false);
    expect(await guard.recordFailure("203.0.113.5", repeated)).toBe(true);
    expect(guard.blocksAny()).toBe(true);
    // That credential is now turned away before it is checked...
    expect(guard.isBlocked("203.0.113.5", repeated)).toBe(true);
    // ...from that address only, and no other credential from the same address is.
    expect(guard.isBlocked("203.0.113.6", repeated)).toBe(false);
    expect(guard.isBlocked("203.0.113.5", valid)).toBe(false);
    now += 61_000;
    expect(guard.isBlocked("203.0.113.5", repeated)).toBe(false);
    expect(guard.blocksAny()).toBe(false);
  });

  it("answers guesses at one key's secret 429 after the limit, without blocking the key itself", async () => {
    const guard = authFailureGuard();
    const realKey = await fingerprint({ "x-api-key": KEY_A });
    let throttled = 0;
    for (let i = 0; i < AUTH_FAILURE_LIMIT + 5; i++) {
      const guess = await fingerprint({ "x-api-key": `kp_aaaaaaaaaaaa_${String(i).padStart(43, "x")}` });
      if (await guard.recordFailure("198.51.100.9", guess)) throttled += 1;
    }
    expect(throttled).toBe(5);
    // The real key was never blocked: it is checked, and goes through when it verifies.
    expect(guard.isBlocked("198.51.100.9", realKey)).toBe(false);
  });
});
