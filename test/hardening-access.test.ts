/**
 * Issue 29, access: trusted-document ids looked up as own keys only (finding 5), the sign-in
 * failure limiter throttling a credential rather than everyone behind its address (6), and a
 * token's scopes cut to what its role may hold, exactly as a key's are (7).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../src/modules/access/api-keys";
import { insertApiKey } from "../src/modules/access/store";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { givenSponsor } from "./testkit/fixtures";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

async function partnerKey(scopes: string[]) {
  const generated = await generateApiKey();
  await insertApiKey(api.db, {
    name: "Bank X",
    prefix: generated.prefix,
    secretHash: generated.secretHash,
    scopes,
    createdAt: api.clock.now().toISOString(),
  });
  return generated;
}

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
