import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testkit/api";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

describe("HTTP surface", () => {
  it("reports health after checking the database", async () => {
    const response = await api.request("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/[0-9a-f-]{36}/);
  });

  it("reports a degraded health when the database is unreachable", async () => {
    const response = await api.app.request(
      "/health",
      {},
      { ...api.env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" },
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "degraded", database: "unreachable" });
  });

  it("reaches PostgreSQL over TCP with node-postgres when a Hyperdrive binding is present", async () => {
    const hyperdrive = { ENVIRONMENT: "test", HYPERDRIVE: { connectionString: api.env.DATABASE_URL } };
    const health = await api.app.request("/health", {}, hyperdrive);
    expect(await health.json()).toEqual({ status: "ok", database: "ok" });
    const response = await api.app.request(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ ecosystem(code: VILLAGE) { name targets { year } } }" }),
      },
      hyperdrive,
    );
    expect(await response.json()).toEqual({
      data: { ecosystem: { name: "Desa", targets: [{ year: 2024 }, { year: 2025 }, { year: 2026 }] } },
    });
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await api.request("/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: "No route for GET /nope" } });
  });

  it("answers GET queries too, with a CSRF-prevention header", async () => {
    const response = await api.request(`/graphql?query=${encodeURIComponent("{ ecosystem(code: MARKET) { name } }")}`, {
      headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ecosystem: { name: "Pasar" } } });
  });

  it("answers a malformed query with a GraphQL error, not a crash", async () => {
    const syntax = await api.graphql(`{ participants(first: 1) { nodes { id }`, undefined, {
      accept: "application/graphql-response+json",
    });
    expect(syntax.status).toBe(400);
    expect(syntax.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await api.graphql(`{ participants(first: 1) { nodes { salary } } }`);
    expect(unknown.errors?.[0]?.message).toMatch(/Cannot query field "salary"/);
    const malformedJson = await api.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(malformedJson.status).toBe(400);
  });

  it("does not serve GraphiQL outside development", async () => {
    const response = await api.request("/graphql", { headers: { accept: "text/html" } });
    expect(response.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
  });
});
