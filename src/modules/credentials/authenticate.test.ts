import { describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { AccessDenied } from "../../shared/errors";
import { type AuthConfig, authenticate } from "./authenticate";
import { signDevelopmentToken } from "./tokens";

// Bearer tokens never reach the database.
const noDatabase = {} as Database;

describe("remembered token verifications", () => {
  it("serve only the settings a token was verified under", async () => {
    const first: AuthConfig = { jwtSecret: "first-secret-that-is-at-least-32-characters" };
    const rotated: AuthConfig = { jwtSecret: "rotated-secret-that-is-at-least-32-characters" };
    const token = await signDevelopmentToken(
      { subject: "officer-1", role: "OFFICER", region: "31" },
      first.jwtSecret ?? "",
    );
    const headers = new Headers({ authorization: `Bearer ${token}` });
    expect(await authenticate(headers, first, noDatabase)).toMatchObject({ kind: "user", subject: "officer-1" });
    // The secret rotated (new settings): the remembered verification does not carry over.
    await expect(authenticate(headers, rotated, noDatabase)).rejects.toBeInstanceOf(AccessDenied);
    // And the old settings still know it.
    expect(await authenticate(headers, first, noDatabase)).toMatchObject({ subject: "officer-1", regionCode: "31" });
  });

  it("keep a token's refusal no less strict: a bad signature fails every time", async () => {
    const config: AuthConfig = { jwtSecret: "a-secret-that-is-at-least-32-characters-long" };
    const token = await signDevelopmentToken({ subject: "x", role: "ADMIN" }, config.jwtSecret ?? "");
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    const headers = new Headers({ authorization: `Bearer ${tampered}` });
    await expect(authenticate(headers, config, noDatabase)).rejects.toBeInstanceOf(AccessDenied);
    await expect(authenticate(headers, config, noDatabase)).rejects.toBeInstanceOf(AccessDenied);
  });
});
