import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodePool } from "../scripts/node-database";
import { createApp } from "../src/app";
import { relations } from "../src/db/relations";
import { bearer, startTestApi, type TestApi } from "./testkit/api";
import { month } from "./testkit/dates";
import { givenParticipant, givenSettledPayment } from "./testkit/fixtures";

/**
 * On a connection that outlives the request (a Node pool), the read planner sends its statements
 * named, so PostgreSQL plans each once per connection. The answers must be the executor's, byte for
 * byte, however often a prepared statement is reused with other values.
 */

let api: TestApi;
let pool: pg.Pool;
let preparedApp: ReturnType<typeof createApp>;
const sent: string[] = [];
const ids: number[] = [];

beforeAll(async () => {
  api = await startTestApi();
  for (const [i, ecosystemCode] of (["MARKET", "VILLAGE", "MARKET"] as const).entries()) {
    const participant = await givenParticipant(api.db, { ecosystemCode, fullName: `Pekerja ${i}` });
    await givenSettledPayment(api.db, participant.id, month(-1));
    ids.push(participant.id);
  }
  // One connection: the embedded database is one session shared by every client, so two pooled
  // clients would each try to prepare the same name on it.
  pool = nodePool(String(api.env.DATABASE_URL), 1);
  preparedApp = createApp({
    clock: api.clock,
    log: () => {},
    queryLogger: { logQuery: (query) => sent.push(query) },
    database: (_env, logger) => ({
      db: drizzle({ client: pool, relations, ...(logger ? { logger } : {}) }),
      end: async () => {},
      preparedStatements: true,
    }),
  });
});

afterAll(async () => {
  await pool.end();
  await api.close();
});

const PARTICIPANT = `query ($id: ID!) { participant(id: $id) { id nik fullName paidThrough ecosystem { code }
  payments(first: 3) { nodes { amount status coverageFrom } } } }`;
const PAGE = `query ($e: EcosystemCode) { participants(first: 2, filter: { ecosystem: $e }) {
  nodes { id fullName } pageInfo { hasNextPage } } }`;

async function preparedText(query: string, variables: Record<string, unknown>, role: "ADMIN" | "OFFICER") {
  const headers = await bearer(role === "ADMIN" ? { role } : { role, region: "33" });
  const response = await preparedApp.request(
    "/graphql",
    {
      method: "POST",
      headers: { "content-type": "application/json", "accept-language": "en", ...headers },
      body: JSON.stringify({ query, variables }),
    },
    api.env,
  );
  return response.text();
}

describe("the read planner on a long-lived connection", () => {
  it("answers as the executor does, again and again, with each request's own values", async () => {
    const admin = await bearer({ role: "ADMIN" });
    for (let round = 0; round < 3; round++) {
      for (const id of ids) {
        const variables = { id: btoa(`Participant:${id}`) };
        const expected = JSON.parse(await api.graphqlText(PARTICIPANT, variables, admin, false));
        expect(JSON.parse(await preparedText(PARTICIPANT, variables, "ADMIN"))).toEqual(expected);
      }
      for (const e of ["MARKET", "VILLAGE", "UMKM"]) {
        const expected = JSON.parse(await api.graphqlText(PAGE, { e }, admin, false));
        expect(JSON.parse(await preparedText(PAGE, { e }, "ADMIN"))).toEqual(expected);
      }
    }
  });

  it("keeps each statement prepared on the connection: one per shape of query, not one per request", async () => {
    const prepared = await drizzle({ client: pool }).execute<{ name: string }>(
      sql`select name from pg_prepared_statements where name like 'read_plan_%'`,
    );
    const names = prepared.rows.map((row) => row.name);
    // The two queries above, each compiled once for the ADMIN caller.
    expect(new Set(names).size).toBe(2);
    expect(sent.length).toBeGreaterThanOrEqual(18);
  });

  it("keeps visibility per caller: an officer of another region sees no one of these", async () => {
    const answer = JSON.parse(await preparedText(PAGE, { e: "MARKET" }, "OFFICER")) as {
      data: { participants: { nodes: unknown[] } };
    };
    expect(answer.data.participants.nodes).toEqual([]);
    const expected = JSON.parse(
      await api.graphqlText(PAGE, { e: "MARKET" }, await bearer({ role: "OFFICER", region: "33" }), false),
    );
    expect(answer).toEqual(expected);
  });
});
