import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { closeNodeProxy, nodeProxy } from "../scripts/node-database";
import { bearer, TEST_JWT_SECRET } from "./testkit/api";
import { startTestDatabase, type TestDatabase } from "./testkit/database";
import { month } from "./testkit/dates";
import { givenParticipant, testNik } from "./testkit/fixtures";
import { startReceiver } from "./testkit/receiver";

/**
 * Partner events end to end in the real runtime: the Worker as wrangler builds it from
 * wrangler.toml (its queue bindings included) runs in workerd, reaches the database through the
 * Neon driver, and its queue handler delivers to a local receiver. Started from Node, so it runs
 * beside the integration tests rather than inside the workerd test pool.
 */
let worker: Unstable_DevWorker;
let database: TestDatabase;

beforeAll(async () => {
  database = await startTestDatabase();
  const proxy = await nodeProxy();
  await givenParticipant(database.db, { fullName: "Ani Lestari", paidThrough: month(0) });
  worker = await unstable_dev(fileURLToPath(new URL("../src/index.ts", import.meta.url)), {
    config: fileURLToPath(new URL("../wrangler.toml", import.meta.url)),
    vars: {
      ENVIRONMENT: "test",
      DATABASE_URL: database.url,
      DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1`,
      JWT_SECRET: TEST_JWT_SECRET,
    },
    logLevel: "error",
    experimental: { disableExperimentalWarning: true },
  });
});

afterAll(async () => {
  await worker?.stop();
  await database?.close();
  await closeNodeProxy();
});

describe("partner events in workerd", () => {
  it("relays a mutation's event through wrangler's local queue to a signed webhook", async () => {
    const receiver = await startReceiver();
    try {
      const admin = { "content-type": "application/json", ...(await bearer({ role: "ADMIN" })) };
      const call = async (query: string, variables: Record<string, unknown>) => {
        const response = await worker.fetch("/graphql", {
          method: "POST",
          headers: admin,
          body: JSON.stringify({ query, variables }),
        });
        return (await response.json()) as { data: Record<string, { userErrors: unknown[] }> };
      };
      const created = await call(
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { signingSecret userErrors { code } } }",
        { input: { url: receiver.url, eventTypes: ["PARTICIPANT_REGISTERED"] } },
      );
      expect(created.data.createWebhookEndpoint?.userErrors).toEqual([]);
      const nik = testNik();
      const registered = await call(
        "mutation($input: RegisterParticipantInput!) { registerParticipant(input: $input) { userErrors { code } } }",
        {
          input: {
            nik,
            fullName: "Budi Santoso",
            segment: "BPU",
            occupation: "Nelayan",
            ecosystem: "VILLAGE",
            villageCode: "31.71.01.1001",
            reportedMonthlyIncome: "1000000",
            programs: ["JKK", "JKM"],
          },
        },
      );
      expect(registered.data.registerParticipant?.userErrors).toEqual([]);
      // After the response, the relay sends to the queue; the Worker's queue handler POSTs it.
      for (let waited = 0; receiver.received.length === 0 && waited < 20_000; waited += 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(receiver.delivered().map((event) => event.type)).toEqual(["participant.registered"]);
      expect(receiver.received[0]?.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    } finally {
      await receiver.close();
    }
  });

  it("answers a syntax error as the client's mistake, as Node does (one copy of graphql in the bundle)", async () => {
    const response = await worker.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "accept-language": "en", ...(await bearer({ role: "ADMIN" })) },
      body: JSON.stringify({ query: "{ participants(first: 1) { nodes { id }" }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(body.errors[0]?.message).toMatch(/^Syntax Error/);
  });
});
