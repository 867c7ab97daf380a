import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpVerifier } from "../src/modules/identity/http-verifier";
import { decideVerification } from "../src/modules/identity/rules";

/**
 * The HTTP verifier against a real registry stand-in on 127.0.0.1: a server that answers by the
 * NIK's last four digits as the registry might — a match, mismatches, not found, deceased, a face
 * score, slow replies, 5xx, refusals and broken bodies — so the adapter's timeouts, retries,
 * circuit breaker and reply mapping are tested over a socket, not against a mock inside the code.
 */

let server: Server;
let endpoint: string;
/** Every request the registry received: its headers and body. */
const received: { headers: IncomingMessage["headers"]; body: Record<string, string> }[] = [];
/** Per NIK: how many requests it has seen (for "fails twice, then answers"). */
const seen = new Map<string, number>();
/** While true, every request is answered 503: the registry is down. */
let down = false;

function reply(nik: string, attempt: number): { status: number; body?: unknown; raw?: string; delayMs?: number } {
  if (down) return { status: 503, body: { error: "maintenance" } };
  const found = {
    status: "FOUND",
    nama_lgkp: { sesuai: true, skor: 100 },
    tgl_lhr: { sesuai: true },
    status_hidup: "HIDUP",
  };
  switch (nik.slice(-4)) {
    case "0001":
      return { status: 200, body: found };
    case "0002":
      return { status: 200, body: { ...found, nama_lgkp: { sesuai: false, skor: 41 } } };
    case "0003":
      return { status: 200, body: { ...found, tgl_lhr: { sesuai: false } } };
    case "0004":
      return { status: 200, body: { status: "NOT_FOUND" } };
    case "0005":
      return { status: 200, body: { ...found, status_hidup: "MENINGGAL" } };
    case "0006":
      return { status: 200, body: { ...found, foto: { skor: 55 } } };
    case "0007":
      return { status: 200, body: found, delayMs: 300 }; // slower than the test's timeout
    case "0008":
      return attempt <= 2 ? { status: 500, body: { error: "oops" } } : { status: 200, body: found };
    case "0009":
      return { status: 401, body: { error: "bad credentials" } };
    case "0010":
      return { status: 200, raw: "{not json" };
    case "0011":
      return { status: 200, body: { result: "ok" } };
    default:
      return { status: 200, body: found };
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    request.on("end", () => {
      const body = JSON.parse(text) as Record<string, string>;
      received.push({ headers: request.headers, body });
      const nik = body.nik ?? "";
      const attempt = (seen.get(nik) ?? 0) + 1;
      seen.set(nik, attempt);
      const answer = reply(nik, attempt);
      setTimeout(() => {
        if (response.destroyed) return;
        response.writeHead(answer.status, { "content-type": "application/json" });
        response.end(answer.raw ?? JSON.stringify(answer.body));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/verifikasi`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const noWait = async () => {};
function verifier(options: { now?: () => number; retries?: number } = {}) {
  return httpVerifier({
    endpoint,
    clientId: "bpjs-kepesertaan",
    clientSecret: "s3cret-token",
    timeoutMs: 150,
    retries: options.retries ?? 2,
    backoffMs: 10,
    sleep: noWait,
    now: options.now ?? (() => 0),
    breaker: { failureThreshold: 3, openMs: 60_000 },
  });
}
const query = (serial: string) => ({ nik: `317101010190${serial}`, fullName: "Siti Rahayu", birthDate: "1990-01-01" });

describe("the HTTP verifier", () => {
  it("sends the person and the credentials as the contract says", async () => {
    const result = await verifier().verify({ ...query("0001"), faceImageRef: "foto/abc" });
    expect(result).toEqual({
      kind: "ANSWERED",
      answer: {
        nikFound: true,
        name: { matches: true, similarity: 1 },
        birthDateMatches: true,
        deceased: false,
        faceMatchScore: null,
      },
    });
    const last = received.at(-1);
    expect(last?.body).toEqual({
      nik: "3171010101900001",
      nama_lgkp: "Siti Rahayu",
      tgl_lhr: "1990-01-01",
      foto_ref: "foto/abc",
    });
    expect(last?.headers["x-client-id"]).toBe("bpjs-kepesertaan");
    expect(last?.headers.authorization).toBe("Bearer s3cret-token");
  });

  it.each([
    ["0002", { status: "MISMATCH", fields: ["name"] }],
    ["0003", { status: "MISMATCH", fields: ["birthDate"] }],
    ["0004", { status: "NOT_FOUND" }],
    ["0005", { status: "DECEASED" }],
    ["0006", { status: "MISMATCH", fields: ["face"] }],
  ])("maps the registry's reply for serial %s", async (serial, decision) => {
    const result = await verifier().verify(query(serial));
    if (result.kind !== "ANSWERED") throw new Error(JSON.stringify(result));
    expect(decideVerification(result.answer)).toEqual(decision);
    if (serial === "0002") expect(result.answer.name).toEqual({ matches: false, similarity: 0.41 });
  });

  it("gives up on a slow reply after its timeout, retrying first", async () => {
    const before = seen.get("3171010101900007") ?? 0;
    const result = await verifier({ retries: 1 }).verify(query("0007"));
    expect(result).toEqual({ kind: "UNAVAILABLE", reason: "timeout", retryable: true });
    expect((seen.get("3171010101900007") ?? 0) - before).toBe(2);
  });

  it("retries 5xx with backoff and takes the answer when it comes", async () => {
    const result = await verifier().verify(query("0008"));
    expect(result.kind).toBe("ANSWERED");
    expect(seen.get("3171010101900008")).toBe(3);
  });

  it("does not retry a refusal of its credentials, and says so", async () => {
    const result = await verifier().verify(query("0009"));
    expect(result).toEqual({ kind: "UNAVAILABLE", reason: "HTTP 401", retryable: false });
    expect(seen.get("3171010101900009")).toBe(1);
  });

  it.each([
    ["0010", "malformed reply"],
    ["0011", "unexpected reply"],
  ])("treats a broken body (serial %s) as no answer, never an error", async (serial, reason) => {
    expect(await verifier({ retries: 0 }).verify(query(serial))).toEqual({
      kind: "UNAVAILABLE",
      reason,
      retryable: true,
    });
  });

  it("stops calling a registry that is down, and comes back to it when it recovers", async () => {
    let now = 0;
    const registry = verifier({ now: () => now, retries: 0 });
    down = true;
    const calls = () => received.length;
    const start = calls();
    for (let i = 0; i < 3; i++) {
      expect(await registry.verify(query("0001"))).toMatchObject({ kind: "UNAVAILABLE", reason: "HTTP 503" });
    }
    expect(calls() - start).toBe(3);
    // Open: answered at once, without a request.
    expect(await registry.verify(query("0001"))).toEqual({
      kind: "UNAVAILABLE",
      reason: "circuit open",
      retryable: true,
    });
    expect(calls() - start).toBe(3);
    // A minute later the registry is back: one trial call, and it closes the circuit.
    down = false;
    now = 60_000;
    expect((await registry.verify(query("0001"))).kind).toBe("ANSWERED");
    expect((await registry.verify(query("0001"))).kind).toBe("ANSWERED");
    expect(calls() - start).toBe(5);
  });
});
