import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScheduledJob } from "../src/app";
import { bearer, startTestApi, type TestApi } from "./testkit/api";
import { daysFromToday, month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";

/**
 * The daily cron's run after TODAY: it fires at 17:05 UTC, 00:05 WIB on the next WIB day (on the
 * boundary instant, the first minutes of a new month and year).
 */
const nextCronRun = () => new Date(`${daysFromToday(1)}T00:05:00+07:00`).toISOString();

/** What an operator finds in Workers Logs: one object per GraphQL operation and per cron run. */
let api: TestApi;
let nik: string;
beforeAll(async () => {
  api = await startTestApi();
  const participant = await givenParticipant(api.db, { fullName: "Ani Lestari", paidThrough: month(0) });
  nik = participant.nik;
});
afterAll(async () => api?.close());

function lastLog() {
  return api.logs.at(-1);
}

describe("operation logs", () => {
  it("logs one object per operation: request id, name, type, caller, duration, statements, and never personal data", async () => {
    const before = api.logs.length;
    const response = await api.graphql(
      `query ListScreen { participants(first: 5) { totalCount nodes { nik fullName phone } } }`,
      {},
      await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"], subject: "officer-7" }),
    );
    expect(response.errors).toBeUndefined();
    expect(api.logs.length).toBe(before + 1);
    expect(lastLog()).toEqual({
      level: "info",
      event: "graphql.operation",
      requestId: response.headers.get("x-request-id"),
      operationName: "ListScreen",
      operationType: "query",
      role: "OFFICER",
      subject: "officer-7",
      apiKeyId: null,
      durationMs: expect.any(Number),
      // The page and its totalCount in one statement (the read planner).
      statements: 1,
      errorCodes: [],
    });
    const logged = JSON.stringify(lastLog());
    expect(logged).not.toContain(nik);
    expect(logged).not.toContain("Ani Lestari");
  });

  it("logs a mutation's type, an anonymous caller and the error codes it was refused with", async () => {
    await api.graphql(
      `mutation { updateParticipant(input: { id: "UGFydGljaXBhbnQ6MQ==", occupation: "Nelayan" }) { userErrors { code } } }`,
      {},
      {},
    );
    expect(lastLog()).toMatchObject({
      operationName: null,
      operationType: "mutation",
      role: "ANONYMOUS",
      subject: null,
      errorCodes: ["UNAUTHENTICATED"],
    });
  });

  it("logs operations that never ran: a syntax error has no type and its parse error code", async () => {
    await api.graphql("{ participants(first: 1) { totalCount ", {}, await bearer({ role: "ADMIN" }));
    expect(lastLog()).toMatchObject({ operationType: null, statements: expect.any(Number) });
    expect(lastLog()?.errorCodes).toEqual([expect.any(String)]);
  });

  it("hashes a subject that looks like personal data (an email or phone used as the token subject)", async () => {
    await api.graphql("{ viewer { role } }", {}, await bearer({ role: "ADMIN", subject: "siti@example.co.id" }));
    expect(lastLog()?.subject).toMatch(/^sha256:[0-9a-f]{16}$/);
  });
});

describe("cron run logs", () => {
  it("logs one object per run with what drifted and was repaired, and its duration", async () => {
    await api.db.execute(sql`update coverage_rollups set participants = participants + 5 where region_level = 1`);
    const logs: Record<string, unknown>[] = [];
    const scheduledTime = nextCronRun();
    const report = await runScheduledJob(api.env, {
      log: (entry) => logs.push(entry as Record<string, unknown>),
      scheduledTime: Date.parse(scheduledTime),
    });
    expect(report.coverage_rollups).toEqual({ drift: 1, repaired: true });
    expect(logs).toEqual([
      expect.objectContaining({
        level: "warn",
        event: "cron.rollup-verification",
        scheduledTime,
        outcome: "REPAIRED",
        drifted: { coverage_rollups: 1 },
        durationMs: expect.any(Number),
      }),
    ]);
  });

  it("logs a failed run with its error and stack, and fails the run", async () => {
    const logs: Record<string, unknown>[] = [];
    await expect(
      runScheduledJob(
        { ...api.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" },
        { log: (entry) => logs.push(entry as Record<string, unknown>) },
      ),
    ).rejects.toThrow();
    expect(logs).toEqual([
      expect.objectContaining({
        level: "error",
        outcome: "FAILED",
        message: expect.any(String),
        stack: expect.any(String),
      }),
    ]);
  });
});
