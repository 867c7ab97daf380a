import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadSpec, requestFor } from "../bench/scenarios";
import { seedBench } from "../bench/seed";
import { connectNode } from "../scripts/node-database";
import { verifyRollups } from "../src/modules/dashboard/service";
import { bearer, startTestApi, type TestApi, TODAY } from "./testkit/api";

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
      const indexes = sql`select indexdef from pg_indexes where tablename in ('participants', 'payments', 'covered_months') order by indexname`;
      const before = (await db.execute(indexes)).rows;
      await seedBench(connection, { participants: 500, seed: 7, now: new Date(TODAY), log: () => {} });
      expect((await db.execute(indexes)).rows).toEqual(before);
      const counts = (
        await db.execute(sql`select (select count(*) from participants)::int as participants,
        (select count(*) from payments)::int as payments,
        (select count(*) from participants p where p.paid_through is distinct from (select max(month) from covered_months c where c.participant_id = p.id))::int as inconsistent`)
      ).rows[0];
      expect(counts).toMatchObject({ participants: 500, inconsistent: 0 });
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
      activeFrom: "2026-11-01",
    };
    for (const scenario of ["page", "byId", "regionStatus", "dashboard", "dashboardProvince", "pay"] as const) {
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
