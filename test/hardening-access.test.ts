/**
 * Issue 29, access: trusted-document ids looked up as own keys only (finding 5), the sign-in
 * failure limiter throttling a credential rather than everyone behind its address (6), and a
 * token's scopes cut to what its role may hold, exactly as a key's are (7).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../src/modules/credentials/api-keys";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { givenPartnerKey, givenSponsor } from "./testkit/fixtures";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

/** `{ viewer { role } }` from one client address with these credential headers; the status answered. */
async function signIn(address: string, headers: Record<string, string>): Promise<number> {
  const response = await api.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address, ...headers },
    body: JSON.stringify({ query: "{ viewer { role } }" }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("trusted documents (finding 5)", () => {
  it("finds no registered operation under an object's inherited names", async () => {
    for (const id of ["__proto__", "toString", "constructor", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
      for (const body of [{ documentId: id }, { extensions: { persistedQuery: { version: 1, sha256Hash: id } } }]) {
        const response = await api.graphqlRaw(body, {});
        expect(response.status, `${id} ${JSON.stringify(body)}`).toBe(400);
        expect(response.errors?.[0]?.extensions?.code, id).toBe("PERSISTED_QUERY_NOT_FOUND");
      }
    }
  });
});

describe("the sign-in failure limiter (finding 6)", () => {
  it("lets a valid key through from an address where others keep failing", async () => {
    const valid = await givenPartnerKey(api, ["participants:read"]);
    const address = "203.0.113.40";
    // 22 bad keys from one client behind a carrier's NAT...
    for (let i = 0; i < 22; i++) expect(await signIn(address, { "x-api-key": (await generateApiKey()).key })).toBe(401);
    // ...and the same bad key over and over...
    const stuck = (await generateApiKey()).key;
    const repeated: number[] = [];
    for (let i = 0; i < 22; i++) repeated.push(await signIn(address, { "x-api-key": stuck }));
    expect(repeated.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(repeated.slice(20)).toEqual([429, 429]);
    // ...throttle that client only: the partner's app and a JMO user behind the same address get in.
    expect(await signIn(address, { "x-api-key": valid.key })).toBe(200);
    expect(await signIn(address, await bearer({ role: "PARTICIPANT", participantId: 1 }))).toBe(200);
  });

  it("answers guesses at one key's secret 429 after 20, while the key itself still gets in", async () => {
    const valid = await givenPartnerKey(api, ["participants:read"]);
    const address = "203.0.113.41";
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const guess = `kp_${valid.prefix}_${String(i).padStart(43, "G")}`;
      statuses.push(await signIn(address, { "x-api-key": guess }));
    }
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(await signIn(address, { "x-api-key": valid.key })).toBe(200);
    // Elsewhere the guesses start from nothing.
    expect(await signIn("203.0.113.42", { "x-api-key": `kp_${valid.prefix}_${"A".repeat(43)}` })).toBe(401);
  });
});

describe("token scopes (finding 7)", () => {
  const SETTLE_BATCH = `mutation ($input: SettlePaymentBatchInput!) {
    settlePaymentBatch(input: $input) { batch { status } userErrors { code } }
  }`;

  it("cuts a token's scopes to what its role may hold, as a key's are", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Token" });
    const cases: [Record<string, unknown>, string[]][] = [
      [
        { role: "SPONSOR", sponsorId: sponsor.id, scopes: ["payments:settle", "sponsors:write", "pii:read"] },
        ["pii:read"],
      ],
      [{ role: "OFFICER", region: "31", scopes: ["payments:read", "participants:read", "pii:read"] }, ["pii:read"]],
      [{ role: "PARTICIPANT", participantId: 1, scopes: ["pii:read", "outreach:write"] }, []],
      [{ role: "PARTNER", scopes: ["payments:settle", "made:up"] }, ["payments:settle"]],
    ];
    for (const [claims, expected] of cases) {
      const headers = await bearer(claims as Parameters<typeof bearer>[0]);
      const viewer = dataOf(await api.graphql<{ viewer: { scopes: string[] } }>("{ viewer { scopes } }", {}, headers));
      expect(viewer.viewer.scopes, JSON.stringify(claims)).toEqual(expected);
    }
  });

  it("does not let a SPONSOR token carrying payments:settle settle a sponsor batch", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Settle" });
    const headers = await bearer({ role: "SPONSOR", sponsorId: sponsor.id, scopes: ["payments:settle"] });
    const batchId = Buffer.from("PaymentBatch:1").toString("base64");
    const response = await api.graphql(SETTLE_BATCH, { input: { batchId, outcome: "SETTLED" } }, headers);
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(response.data?.settlePaymentBatch ?? null).toBeNull();
  });
});
