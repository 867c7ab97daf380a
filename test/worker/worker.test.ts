import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import worker from "../../src/index";
import { signDevelopmentToken } from "../../src/modules/credentials/tokens";

/**
 * The Worker inside workerd (@cloudflare/vitest-pool-workers): the real runtime, its bindings as
 * wrangler.toml declares them (the rate limiter included), the Neon driver over a WebSocket to the
 * embedded database that test/worker/global-setup.ts started.
 */
async function graphql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await SELF.fetch("http://worker.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] },
  };
}

async function as(role: "ADMIN" | "OFFICER", claims: { region?: string } = {}) {
  const token = await signDevelopmentToken({ subject: `workerd-${role}`, role, ...claims }, String(env.JWT_SECRET));
  return { authorization: `Bearer ${token}` };
}

describe("the Worker in workerd", () => {
  it("checks its database on /health", async () => {
    const response = await SELF.fetch("http://worker.test/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
  });

  it("authenticates: a signed token is a caller, a forged one is refused 401, none is anonymous", async () => {
    const viewer = await graphql("{ viewer { role } }", {}, await as("ADMIN"));
    expect(viewer.body.data).toEqual({ viewer: { role: "ADMIN" } });
    const forged = await graphql("{ viewer { role } }", {}, { authorization: "Bearer not.a.token" });
    expect(forged.status).toBe(401);
    expect(forged.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const anonymous = await graphql("{ participants(first: 5) { totalCount } }");
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("answers a page of participants from the database, within an officer's region", async () => {
    const page = await graphql(
      "{ participants(first: 5) { totalCount nodes { fullName region { name } ecosystem { code } } } }",
      {},
      await as("OFFICER", { region: "31" }),
    );
    expect(page.body).toEqual({
      data: {
        participants: {
          totalCount: 1,
          nodes: [{ fullName: "Ani Lestari", region: { name: "Gambir" }, ecosystem: { code: "MARKET" } }],
        },
      },
    });
    const elsewhere = await graphql(
      "{ participants(first: 5) { totalCount } }",
      {},
      await as("OFFICER", { region: "32" }),
    );
    expect(elsewhere.body.data).toEqual({ participants: { totalCount: 0 } });
  });

  it("runs a mutation in a transaction: registers a worker, and refuses the same NIK again as data", async () => {
    const register = `mutation ($input: RegisterParticipantInput!) {
      registerParticipant(input: $input) { participant { fullName status } userErrors { field code } } }`;
    const input = {
      nik: "3171015708900001",
      fullName: "Siti Rahayu",
      phone: "0812-3456-7890",
      segment: "BPU",
      occupation: "Nelayan",
      ecosystem: "VILLAGE",
      villageCode: "32.73.01.1001",
      reportedMonthlyIncome: "1500000",
      programs: ["JKK", "JKM", "JHT"],
    };
    const admin = await as("ADMIN");
    const first = await graphql(register, { input }, admin);
    expect(first.body.data).toEqual({
      registerParticipant: { participant: { fullName: "Siti Rahayu", status: "PENDING" }, userErrors: [] },
    });
    const again = await graphql(register, { input }, admin);
    expect(again.body.data).toEqual({
      registerParticipant: {
        participant: null,
        userErrors: [{ field: ["input", "nik"], code: "NIK_ALREADY_REGISTERED" }],
      },
    });
  });

  it("runs the daily cron handler: verifies the rollups, nothing drifted, nothing failed", async () => {
    const logs: unknown[] = [];
    // The cron's run after TODAY (test/worker/global-setup.ts): on the boundary instant, the first
    // run of a new month and year.
    const scheduledTime = inject("nextCronRun");
    const original = console.log;
    console.log = (entry: unknown) => logs.push(entry);
    try {
      const ctx = createExecutionContext();
      const controller = createScheduledController({
        scheduledTime: Date.parse(scheduledTime),
        cron: "5 17 * * *",
      });
      await worker.scheduled(controller, env as unknown as Env, ctx);
      await waitOnExecutionContext(ctx);
    } finally {
      console.log = original;
    }
    // The daily cron also writes the calendar's partner events (and logs that run); the rollups are exact.
    expect(logs).toContainEqual(
      expect.objectContaining({
        event: "cron.rollup-verification",
        outcome: "OK",
        scheduledTime,
      }),
    );
    expect(logs).not.toContainEqual(expect.objectContaining({ level: "error" }));
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await SELF.fetch("http://worker.test/missing");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
});
