import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { type CardSigningKey, checkCardCode, parseCardSigningKeys, signCardCode } from "./card-code";
import { CARD_CODE_TTL_SECONDS } from "./rules";

const base64 = (fill: number, bytes = 32) => Buffer.alloc(bytes, fill).toString("base64");
const keysOf = (text: string): CardSigningKey[] => {
  const parsed = parseCardSigningKeys(text);
  if ("problem" in parsed) throw new Error(parsed.problem);
  return parsed.keys;
};
const now = new Date("2026-11-15T03:00:00Z");
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe("CARD_SIGNING_KEYS", () => {
  it("reads kid:key entries, the first one signing", () => {
    const keys = keysOf(`k2:${base64(1)}, k1:${base64(2, 48)}`);
    expect(keys.map((key) => [key.kid, key.secret.length])).toEqual([
      ["k2", 32],
      ["k1", 48],
    ]);
  });

  it.each([
    ["", /at least one/],
    [`:${base64(1)}`, /entry 1 must be <kid>:<base64 key>/],
    [`k1:${base64(1, 16)}`, /"k1" must be at least 32 random bytes/],
    ["k1:not base64!", /"k1" must be at least 32/],
    [`k1:${base64(1)},k1:${base64(2)}`, /"k1" is given twice/],
  ])("refuses %j, never quoting a key", (text, problem) => {
    const parsed = parseCardSigningKeys(text);
    expect("problem" in parsed && parsed.problem).toMatch(problem);
    if ("problem" in parsed) expect(parsed.problem).not.toContain(base64(1));
  });
});

describe("card verification codes", () => {
  const keys = keysOf(`new:${base64(7)},old:${base64(3)}`);

  it("are compact enough for a QR code and carry only the membership and times", async () => {
    const { code, expiresAt } = await signCardCode(keys, 123_456, now);
    expect(code.length).toBeLessThan(200);
    expect(expiresAt).toEqual(later(CARD_CODE_TTL_SECONDS));
    const [header, payload] = code
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
    expect(header).toEqual({ alg: "HS256", kid: "new" });
    expect(Object.keys(payload).sort()).toEqual(["exp", "iat", "mid"]);
    expect(payload.mid).toBe(123_456);
  });

  it("check out until they expire, then are EXPIRED", async () => {
    const { code } = await signCardCode(keys, 42, now);
    expect(await checkCardCode(keys, code, later(CARD_CODE_TTL_SECONDS - 1))).toEqual({
      outcome: "GENUINE",
      membershipId: 42,
      expiresAt: later(CARD_CODE_TTL_SECONDS),
    });
    expect(await checkCardCode(keys, code, later(CARD_CODE_TTL_SECONDS + 1))).toEqual({
      outcome: "EXPIRED",
      expiresAt: later(CARD_CODE_TTL_SECONDS),
    });
  });

  it("signed with a previous key still check out after a rotation; an unknown key's do not", async () => {
    const { code } = await signCardCode(keysOf(`old:${base64(3)}`), 42, now);
    expect((await checkCardCode(keys, code, now)).outcome).toBe("GENUINE");
    expect((await checkCardCode(keysOf(`new:${base64(7)}`), code, now)).outcome).toBe("INVALID");
  });

  it("are INVALID when tampered with, malformed, unsigned or signed otherwise, never an exception", async () => {
    const { code } = await signCardCode(keys, 42, now);
    const [header, , signature] = code.split(".");
    const forged = Buffer.from(JSON.stringify({ mid: 43, iat: 1, exp: 9_999_999_999 })).toString("base64url");
    const expiredForgery = Buffer.from(JSON.stringify({ mid: 43, iat: 1, exp: 2 })).toString("base64url");
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${forged}.`;
    const wrongKey = await new SignJWT({ mid: 42 })
      .setProtectedHeader({ alg: "HS256", kid: "new" })
      .setIssuedAt(now)
      .setExpirationTime(later(60))
      .sign(Buffer.alloc(32, 9));
    const noMembership = await new SignJWT({ mid: "42" })
      .setProtectedHeader({ alg: "HS256", kid: "new" })
      .setIssuedAt(now)
      .setExpirationTime(later(60))
      .sign(Buffer.alloc(32, 7));
    for (const bad of [
      `${header}.${forged}.${signature}`,
      `${header}.${expiredForgery}.${signature}`,
      `${code.slice(0, -2)}AA`,
      unsigned,
      wrongKey,
      noMembership,
      "",
      "not a code",
      "a.b.c",
      "x".repeat(10_000),
      `${code}.`,
    ]) {
      expect(await checkCardCode(keys, bad, now), bad.slice(0, 40)).toEqual({ outcome: "INVALID" });
    }
  });
});
