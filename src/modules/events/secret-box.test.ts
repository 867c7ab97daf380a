import { describe, expect, it } from "vitest";
import { isSecretKey, openSecret, sealSecret } from "./secret-box";

const key = Buffer.alloc(32, 7).toString("base64");
const otherKey = Buffer.alloc(32, 9).toString("base64");

describe("webhook secrets at rest", () => {
  it("seals a secret so the stored text does not hold it, and opens it with the key", async () => {
    const secret = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
    const stored = await sealSecret(secret, key);
    expect(stored).toMatch(/^sealed:v1:/);
    expect(stored).not.toContain("whsec_");
    expect(stored.length).toBeLessThanOrEqual(200);
    expect(await sealSecret(secret, key)).not.toBe(stored); // a fresh IV each time
    expect(await openSecret(stored, key)).toBe(secret);
  });

  it("refuses a sealed secret without the key or with another one, and reads one stored before sealing", async () => {
    const stored = await sealSecret("whsec_abc", key);
    await expect(openSecret(stored, undefined)).rejects.toThrow(/WEBHOOK_SECRET_KEY/);
    await expect(openSecret(stored, otherKey)).rejects.toThrow();
    expect(await openSecret("whsec_abc", key)).toBe("whsec_abc");
    expect(await sealSecret("whsec_abc", undefined)).toBe("whsec_abc");
  });

  it("accepts only 32-byte base64 keys", () => {
    expect(isSecretKey(key)).toBe(true);
    expect(isSecretKey(Buffer.alloc(16).toString("base64"))).toBe(false);
    expect(isSecretKey("not base64!")).toBe(false);
  });
});
