import { describe, expect, it } from "vitest";
import { configuredVerifier } from "./identity-worker";

describe("the configured identity verifier", () => {
  const registry = {
    DUKCAPIL_URL: "https://gateway.example.go.id/dukcapil/verifikasi",
    DUKCAPIL_CLIENT_ID: "bpjs-kepesertaan",
    DUKCAPIL_CLIENT_SECRET: "a-token-of-the-gateway-0123456789",
  };

  it("answers offline in development and tests, never in production", () => {
    expect(configuredVerifier({ ENVIRONMENT: "development" })?.version).toBe("offline/1");
    expect(configuredVerifier({ ENVIRONMENT: "test" })?.version).toBe("offline/1");
    expect(configuredVerifier({ ENVIRONMENT: "production" })).toBeNull();
    expect(configuredVerifier({})).toBeNull();
  });

  it("asks the registry over HTTP once it is configured, over https only in production", () => {
    expect(configuredVerifier({ ENVIRONMENT: "production", ...registry })?.version).toBe("dukcapil-http/1");
    expect(
      configuredVerifier({ ENVIRONMENT: "production", ...registry, DUKCAPIL_URL: "http://gateway.example.go.id/v" }),
    ).toBeNull();
    expect(configuredVerifier({ ENVIRONMENT: "production", ...registry, DUKCAPIL_CLIENT_SECRET: "short" })).toBeNull();
    expect(
      configuredVerifier({ ENVIRONMENT: "development", ...registry, DUKCAPIL_URL: "http://127.0.0.1:9/v" })?.version,
    ).toBe("dukcapil-http/1");
  });
});
