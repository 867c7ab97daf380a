import { describe, expect, it } from "vitest";
import { signNotification, verifySignature } from "./signature";

const secret = "channel-secret";
const body = '{"reference":"BRIVA-1","status":"SETTLED"}';
const now = new Date("2026-11-15T03:00:00Z");

describe("channel signatures", () => {
  it("accepts a fresh signature over the exact body", async () => {
    expect(await verifySignature(await signNotification(body, secret, now), body, secret, now)).toBeNull();
  });

  it("refuses an altered body, another secret, a stale or future timestamp and malformed headers", async () => {
    const header = await signNotification(body, secret, now);
    expect(await verifySignature(header, body.replace("SETTLED", "REFUNDED"), secret, now)).toBe("MISMATCH");
    expect(await verifySignature(header, body, "other-secret", now)).toBe("MISMATCH");
    expect(await verifySignature(header, body, secret, new Date(now.getTime() + 301_000))).toBe("STALE");
    expect(await verifySignature(header, body, secret, new Date(now.getTime() - 301_000))).toBe("STALE");
    expect(await verifySignature(null, body, secret, now)).toBe("MISSING");
    expect(await verifySignature("v1=abc", body, secret, now)).toBe("MALFORMED");
  });
});
