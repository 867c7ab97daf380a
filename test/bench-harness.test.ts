import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStat, processCpuMs } from "../bench/processes";
import { atAGlance, median, perRequest, scenarioTable, workerSection } from "../bench/report";
import { type LoadSpec, requestFor } from "../bench/scenarios";
import { seedBench } from "../bench/seed";
import { type SessionPool, startSessionPool } from "../bench/session-pool";
import { connectNode } from "../scripts/node-database";
import { verifyRollups } from "../src/modules/dashboard/service";
import { bearer, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { startTestDatabase, type TestDatabase } from "./testkit/database";
import { month } from "./testkit/dates";

/** Keeps `npm run bench` working at a tiny scale: its seed, and every query it sends to this API. */
describe("benchmark harness", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api?.close());

  it("seeds reproducibly with consistent coverage and rollups", { timeout: 120_000 }, async () => {
    const connection = await connectNode(api.env.DATABASE_URL);
    const { db, close } = connection;
    try {
      // The seed drops secondary indexes and unique constraints to bulk-load; all must come back.
      const indexes = sql`select indexdef from pg_indexes where tablename in ('participants', 'payments', 'covered_months', 'program_months') order by indexname`;
      const before = (await db.execute(indexes)).rows;
      await seedBench(connection, { participants: 500, seed: 7, now: new Date(TODAY), log: () => {} });
      expect((await db.execute(indexes)).rows).toEqual(before);
      const counts = (
        await db.execute(sql`select (select count(*) from participants)::int as participants,
        (select count(*) from payments)::int as payments,
        (select count(*) from participants p where p.paid_through is distinct from (select max(month) from covered_months c where c.participant_id = p.id))::int as inconsistent,
        -- Every covered month paid for JKK and JKM by its payment, as outside bulk-load mode.
        (select count(*) from covered_months c where (select count(*) from program_months k where k.participant_id = c.participant_id
          and k.month = c.month and k.payment_id = c.payment_id and k.program in ('JKK', 'JKM')) <> 2)::int as unpaid`)
      ).rows[0];
      expect(counts).toMatchObject({ participants: 500, inconsistent: 0, unpaid: 0 });
      expect((counts as { payments: number }).payments).toBeGreaterThan(500);
      const report = await verifyRollups(db, { repair: false });
      expect(Object.values(report).every((r) => r.drift === 0)).toBe(true);
    } finally {
      await close();
    }
  });

  it("sends this API only queries it answers without errors", { timeout: 60_000 }, async () => {
    const admin = await bearer({ role: "ADMIN" });
    const spec: Omit<LoadSpec, "scenario"> = {
      url: "",
      contender: "api",
      connections: 1,
      seconds: 1,
      rounds: 1,
      warmupSeconds: 0,
      token: admin.authorization?.replace("Bearer ", "") ?? "",
      participants: 500,
      provinces: ["31", "32"],
      activeFrom: month(0),
    };
    for (const scenario of [
      "page",
      "byId",
      "regionStatus",
      "dashboard",
      "dashboardProvince",
      "workList",
      "pay",
    ] as const) {
      const request = requestFor({ ...spec, scenario }, 42);
      if (!("body" in request)) throw new Error(`${scenario} is not a GraphQL request`);
      const response = await api.request(request.path, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
      const body = (await response.json()) as { errors?: unknown[]; data?: unknown };
      expect({ scenario, errors: body.errors ?? [] }).toEqual({ scenario, errors: [] });
      expect(body.data).toBeTruthy();
    }
  });
});

describe("benchmark harness arithmetic", () => {
  it("divides statements and CPU by the requests served between two readings", () => {
    const before = { statements: 10, requests: 5, cpuMs: 100 };
    const after = { statements: 30, requests: 15, cpuMs: 180 };
    expect(perRequest(before, after, 999)).toEqual({ statements: "2.00", cpu: "8.0" });
    // A Worker counts no requests: the load generator's answered count stands in.
    expect(
      perRequest({ statements: 0, requests: null, cpuMs: 0 }, { statements: 25, requests: null, cpuMs: 50 }, 20),
    ).toEqual({ statements: "1.25", cpu: "2.5" });
    expect(perRequest(null, after, 20)).toEqual({ statements: "n/a", cpu: "n/a" });
    expect(perRequest(before, before, 0)).toEqual({ statements: "n/a", cpu: "n/a" });
  });

  it("writes each scenario's table with the CPU column and the ratio to the hand-written endpoint", () => {
    const row = { p50: 1, p95: 2, p99: 3, errors: 0, statements: "1.00", cpu: "4.2" };
    const table = scenarioTable("Page", [
      { contender: "api", rps: 100, ...row },
      { contender: "sql", rps: 400, ...row },
    ]);
    expect(table).toContain(
      "| SQL statements / request | CPU ms / request | req/s vs PostGraphile | req/s vs hand-written SQL |",
    );
    expect(table).toContain("| api | 100 | 1 | 2 | 3 | 0 | 1.00 | 4.2 | — | 0.25 |");
    expect(scenarioTable("Dashboard", [{ contender: "api", rps: 100, ...row }])).toContain("| 4.2 | — | — |");
  });

  it("opens with the run at a glance: the API against PostGraphile, hand-written SQL and the pooled Worker", () => {
    const row = { p50: 1, p95: 2, p99: 3, errors: 0, statements: "1.00" };
    const glance = atAGlance([
      {
        name: "By id",
        rows: [
          { contender: "api", rps: 300, cpu: "2.0", ...row },
          { contender: "worker-pooled", rps: 240, cpu: "3.1", ...row },
          { contender: "sql", rps: 600, cpu: "0.5", ...row },
          { contender: "postgraphile", rps: 1200, cpu: "0.6", ...row },
        ],
      },
      { name: "Dashboard", rows: [{ contender: "api", rps: 100, cpu: "1.0", ...row }] },
    ]);
    expect(glance).toContain("| By id | 300 | 2.0 | 0.25 | 0.50 | 0.80 | 3.1 |");
    expect(glance).toContain("| Dashboard | 100 | 1.0 | — | — | — | — |");
  });

  it("reports the start-up profile by module in the Worker section", () => {
    const coldStart = {
      runs: 3,
      bundleBytes: 1,
      workerdStartupMs: 200,
      coldStartMs: 300,
      coldStartCpuMs: 250,
      moduleLoadMs: 280,
      moduleLoadCpuMs: 240,
    };
    const startup = {
      deployedActiveMs: 209.4,
      deployedGcMs: 25.4,
      unminifiedActiveMs: 268.7,
      byModule: [{ owner: "@pothos/core", ms: 48.4 }],
    };
    const section = workerSection({ gzipKiB: 448, schemaBuildMs: "900", coldStart, startup });
    expect(section).toContain("209.4 ms of CPU for the deployed, minified bundle");
    expect(section).toContain("| @pothos/core | 48.4 |");
    expect(workerSection({ gzipKiB: 448, schemaBuildMs: "900", coldStart })).not.toContain("wrangler check startup");
  });

  it("takes medians of odd and even counts", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("reads a process's CPU ticks from /proc/<pid>/stat, names with spaces and parentheses included", () => {
    const line =
      "4242 (work (er) d) S 17 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 9 0 1000 100000 2000 18446744073709551615";
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, name: "work (er) d", ticks: 1801 });
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
  });
});

// Real PostgreSQL only: the pool holds several sessions at once, and PGlite is one session whose
// clients take turns a transaction at a time, so a session left in a failed transaction blocks it.
describe.skipIf(process.env.TEST_DATABASE !== "postgres")(
  "the session pool standing in for Hyperdrive (real PostgreSQL only: npm run test:deep)",
  () => {
    let database: TestDatabase;
    let pool: SessionPool;
    let statements = 0;
    beforeAll(async () => {
      database = await startTestDatabase();
      pool = await startSessionPool(database.url, {
        size: 2,
        onStatement: () => {
          statements += 1;
        },
      });
    });
    afterAll(async () => {
      await pool?.close();
      await database?.close();
    });

    /** A client as the Worker opens one per request: connect, query, end. */
    async function oneRequest(text: string) {
      const client = new pg.Client({ connectionString: `postgres://bench:bench@127.0.0.1:${pool.port}/any` });
      await client.connect();
      try {
        return await client.query(text);
      } finally {
        await client.end();
      }
    }

    it("lends warm connections to one client after another and counts their statements", async () => {
      const opened = pool.opened();
      const counted = statements;
      for (let i = 0; i < 5; i++) {
        expect((await oneRequest("select 40 + 2 as answer")).rows).toEqual([{ answer: 42 }]);
      }
      // Extended protocol too (node-postgres with parameters), as drizzle sends it.
      const client = new pg.Client({ connectionString: `postgres://bench:bench@127.0.0.1:${pool.port}/any` });
      await client.connect();
      expect((await client.query("select $1::int + 1 as n", [1])).rows).toEqual([{ n: 2 }]);
      await client.end();
      expect(statements - counted).toBe(6);
      expect(pool.opened() - opened).toBeLessThanOrEqual(1);
    });

    it("does not lend a connection left in a failed transaction", async () => {
      const client = new pg.Client({ connectionString: `postgres://bench:bench@127.0.0.1:${pool.port}/any` });
      await client.connect();
      await client.query("begin");
      await expect(client.query("select 1 / 0")).rejects.toThrow(/division by zero/);
      await client.end();
      // Lent again, that connection would answer "current transaction is aborted".
      expect((await oneRequest("select 1 as one")).rows).toEqual([{ one: 1 }]);
    });

    it("serves more clients at once than it has connections, in turn", async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => oneRequest(`select ${i} as i, pg_sleep(0.02)`)),
      );
      expect(answers.map((answer) => answer.rows[0]?.i)).toEqual([0, 1, 2, 3, 4, 5]);
    });
  },
);
