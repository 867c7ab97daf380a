import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { closeNodeProxy, nodeProxy } from "../../scripts/node-database";
import { bearer, TEST_JWT_SECRET } from "../testkit/api";
import { startTestDatabase, type TestDatabase } from "../testkit/database";
import { givenParticipant } from "../testkit/fixtures";

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
});
