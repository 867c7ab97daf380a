/**
 * Issue 29, finding 8: production's required secrets. A Worker started without
 * WEBHOOK_SECRET_KEY, or with malformed PAYMENT_CHANNEL_SECRETS, answers every request 503 naming
 * the binding at fault (never its value) instead of running, or of a masked 500; `/health` lists
 * the problems for the operator.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bearer, startTestApi, type TestApi } from "./testkit/api";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

function production(changes: Record<string, string | undefined>): Record<string, unknown> {
  const env: Record<string, unknown> = { ...api.env, ENVIRONMENT: "production" };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

describe("required production secrets (finding 8)", () => {
  it("runs with every required secret in place", async () => {
    const health = await api.app.request("/health", {}, production({}));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", database: "ok" });
  });

  it("refuses to run without WEBHOOK_SECRET_KEY, saying so on /health and on every request", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const env = production({ WEBHOOK_SECRET_KEY: undefined });
      const health = await api.app.request("/health", {}, env);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({
        status: "misconfigured",
        configuration: [expect.stringMatching(/^WEBHOOK_SECRET_KEY: required in production/)],
        requestId: health.headers.get("x-request-id"),
      });

      const graphql = await api.app.request(
        "/graphql",
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "accept-language": "en",
            ...(await bearer({ role: "ADMIN" })),
          },
          body: JSON.stringify({ query: "{ viewer { role } }" }),
        },
        env,
      );
      expect(graphql.status).toBe(503);
      expect(await graphql.json()).toEqual({
        errors: [
          {
            message: "The service is not configured correctly (WEBHOOK_SECRET_KEY); its operators must fix it.",
            extensions: { code: "MISCONFIGURED", requestId: graphql.headers.get("x-request-id") },
          },
        ],
      });
      // Logged once for the isolate, with every problem, not once per request.
      const logged = errors.mock.calls.map(([line]) => String(line)).filter((line) => line.includes("config.invalid"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain("WEBHOOK_SECRET_KEY");
    } finally {
      errors.mockRestore();
    }
  });

  it("names a malformed PAYMENT_CHANNEL_SECRETS and the channel at fault, in the caller's language, never the secret", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const env = production({ PAYMENT_CHANNEL_SECRETS: JSON.stringify({ BRIVA: "too-short" }) });
      const health = await api.app.request("/health", {}, env);
      expect(health.status).toBe(503);
      const body = (await health.json()) as { configuration: string[] };
      expect(body.configuration).toEqual([
        "PAYMENT_CHANNEL_SECRETS: the BRIVA secret must be a string of at least 16 characters",
      ]);
      const webhook = await api.app.request(
        "/webhooks/payments/BRIVA",
        { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
        env,
      );
      expect(webhook.status).toBe(503);
      const refusal = (await webhook.json()) as { error: { code: string; message: string } };
      expect(refusal.error).toMatchObject({
        code: "MISCONFIGURED",
        message:
          "Layanan belum dikonfigurasi dengan benar (PAYMENT_CHANNEL_SECRETS); pengelolanya harus memperbaikinya.",
      });
      expect(JSON.stringify(body) + JSON.stringify(refusal)).not.toContain("too-short");
    } finally {
      errors.mockRestore();
    }
  });
});
