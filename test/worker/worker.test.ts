import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { closeNodeProxy, nodeProxy } from "../../scripts/node-database";
import { bearer, TEST_JWT_SECRET } from "../testkit/api";
import { startTestDatabase, type TestDatabase } from "../testkit/database";
import { givenParticipant, testNik } from "../testkit/fixtures";
import { startReceiver } from "../testkit/receiver";

/** The Worker as wrangler builds it, running in workerd, reaching the database through the Neon driver. */
let worker: Unstable_DevWorker;
let database: TestDatabase;

beforeAll(async () => {
  database = await startTestDatabase();
  const proxy = await nodeProxy();
  await givenParticipant(database.db, { fullName: "Ani Lestari", paidThrough: "2026-11-01" });
  worker = await unstable_dev(fileURLToPath(new URL("../../src/index.ts", import.meta.url)), {
    config: fileURLToPath(new URL("../../wrangler.toml", import.meta.url)),
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

describe("the Worker in workerd", () => {
  it("checks its database on /health", async () => {
    const response = await worker.fetch("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
  });

  it("answers GraphQL queries from the database", async () => {
    const response = await worker.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer({ role: "ADMIN" })) },
      body: JSON.stringify({
        query: "{ participants(first: 5) { totalCount nodes { fullName region { name } ecosystem { code } } } }",
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      data: {
        participants: {
          totalCount: 1,
          nodes: [{ fullName: "Ani Lestari", region: { name: "Gambir" }, ecosystem: { code: "MARKET" } }],
        },
      },
    });
  });

  it("refuses anonymous participant queries", async () => {
    const response = await worker.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ participants(first: 5) { totalCount } }" }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await worker.fetch("/missing");
    expect(response.status).toBe(404);
  });

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
});
