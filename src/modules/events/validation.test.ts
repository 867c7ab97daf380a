import { describe, expect, it } from "vitest";
import { endpointUrl, isInternalHost } from "./validation";

describe("webhook endpoint URLs", () => {
  it("refuses internal hosts in production, so deliveries cannot reach the API's neighbours", () => {
    for (const host of [
      "localhost",
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "[::1]",
      "[fd00::1]",
      "metadata",
      "db.internal",
    ]) {
      expect(isInternalHost(new URL(`https://${host}/hook`).hostname), host).toBe(true);
    }
    for (const host of ["partner.example.id", "8.8.8.8", "172.32.0.1"]) {
      expect(isInternalHost(new URL(`https://${host}/hook`).hostname), host).toBe(false);
    }
    expect(endpointUrl(true).safeParse("https://169.254.169.254/latest").success).toBe(false);
    expect(endpointUrl(true).safeParse("http://partner.example.id/hook").success).toBe(false);
    expect(endpointUrl(true).safeParse("https://partner.example.id/hook").success).toBe(true);
    expect(endpointUrl(false).safeParse("http://127.0.0.1:9000/hook").success).toBe(true);
  });
});
