import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "./env";

const key = Buffer.alloc(32, 9).toString("base64");
const production = {
  ENVIRONMENT: "production",
  DATABASE_URL: "postgres://api@db.example.id/kepesertaan",
  WEBHOOK_SECRET_KEY: key,
  PAYMENT_CHANNEL_SECRETS: JSON.stringify({ BRIVA: "a-channel-secret-long-enough" }),
};

function problemsOf(bindings: Record<string, unknown>): readonly string[] {
  try {
    parseEnv(bindings);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe("required production secrets (issue 29, finding 8)", () => {
  it("accepts a complete production configuration", () => {
    expect(parseEnv(production).webhookSecretKey).toBe(key);
  });

  it("requires WEBHOOK_SECRET_KEY and PAYMENT_CHANNEL_SECRETS in production, naming each", () => {
    const { WEBHOOK_SECRET_KEY: _key, PAYMENT_CHANNEL_SECRETS: _secrets, ...without } = production;
    const problems = problemsOf(without);
    expect(problems).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET_KEY: required in production/),
      expect.stringMatching(/^PAYMENT_CHANNEL_SECRETS: required in production/),
    ]);
    // ENVIRONMENT unset is production.
    const { ENVIRONMENT: _environment, ...unset } = without;
    expect(problemsOf(unset)).toHaveLength(2);
    // Development and tests may run without them (secrets then stored as they are).
    expect(problemsOf({ ...without, ENVIRONMENT: "development" })).toEqual([]);
    expect(problemsOf({ ...without, ENVIRONMENT: "test" })).toEqual([]);
  });

  it("names the malformed binding and the channel at fault, never a secret", () => {
    const short = problemsOf({ ...production, PAYMENT_CHANNEL_SECRETS: JSON.stringify({ BRIVA: "short-secret" }) });
    expect(short).toEqual(["PAYMENT_CHANNEL_SECRETS: the BRIVA secret must be a string of at least 16 characters"]);
    expect(short.join()).not.toContain("short-secret");
    expect(problemsOf({ ...production, PAYMENT_CHANNEL_SECRETS: "BRIVA=secret" })).toEqual([
      expect.stringMatching(/^PAYMENT_CHANNEL_SECRETS: must be a JSON object/),
    ]);
    expect(problemsOf({ ...production, WEBHOOK_SECRET_KEY: "not-base64-32-bytes" })).toEqual([
      "WEBHOOK_SECRET_KEY: must be 32 random bytes, base64-encoded (openssl rand -base64 32)",
    ]);
    const error = (() => {
      try {
        parseEnv({ ...production, WEBHOOK_SECRET_KEY: "", PAYMENT_CHANNEL_SECRETS: "[]" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).bindings).toEqual(["WEBHOOK_SECRET_KEY", "PAYMENT_CHANNEL_SECRETS"]);
  });
});

describe("the live reports' budget", () => {
  it("is 30 s unless set, and refuses a budget that is not a number of milliseconds in range", () => {
    expect(parseEnv(production).reportBudgetMs).toBe(30_000);
    expect(parseEnv({ ...production, REPORT_BUDGET_MS: "90000" }).reportBudgetMs).toBe(90_000);
    expect(problemsOf({ ...production, REPORT_BUDGET_MS: "fast" })).toEqual([
      expect.stringMatching(/^REPORT_BUDGET_MS: /),
    ]);
    expect(problemsOf({ ...production, REPORT_BUDGET_MS: "10" })).toEqual([
      expect.stringMatching(/^REPORT_BUDGET_MS: /),
    ]);
  });
});
