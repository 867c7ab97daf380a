import { encodeGlobalID } from "@pothos/plugin-relay";
import { type SQL, sql } from "drizzle-orm";
import fc from "fast-check";
import { GraphQLScalarType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/client";
import { globalId } from "../src/read-plan/sql-values";
import { schema } from "../src/schema";
import { sqlFormatOf } from "../src/shared/scalars";
import { startTestDatabase, type TestDatabase } from "./testkit/database";

/**
 * Each scalar is written twice: by its `serialize` on the executor's path, and by the SQL format
 * it declares for the read planner. On random values, including the edges fixtures never reach
 * (the largest rupiah, WIB midnight, microseconds, leap days), PostgreSQL's text must be the
 * serializer's, byte for byte, in UTC and in WIB sessions.
 */

let database: TestDatabase;
beforeAll(async () => {
  database = await startTestDatabase();
});
afterAll(async () => database?.close());

function scalar(name: string) {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLScalarType)) throw new Error(`${name} is not a scalar`);
  const format = sqlFormatOf(type);
  if (!format) throw new Error(`${name} declares no SQL format`);
  return { serialize: (value: unknown) => type.serialize(value) as string, format };
}

/** An SQL text whose every `{}` stands for the bound value. */
function bound(text: string, value: unknown): SQL {
  const parts = text.split("{}");
  return sql.join(parts.flatMap((part, i) => (i === 0 ? [sql.raw(part)] : [sql`${value}`, sql.raw(part)])));
}

/** Runs `select <expressions>` in a session of the given time zone. */
async function selectIn(db: Database, zone: string, columns: SQL): Promise<Record<string, unknown>> {
  return db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local time zone '${zone}'`));
    const result = (await tx.execute(sql`select ${columns}`)) as unknown as { rows: Record<string, unknown>[] };
    return result.rows[0] ?? {};
  });
}

const zones = fc.constantFrom("UTC", "Asia/Jakarta");
const runs = { numRuns: 60 };

/** A calendar day from 1900 to 2199, leap days and month ends included. */
const day = fc
  .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2199-12-31T00:00:00Z"), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10));

describe("scalar SQL formats agree with the scalars' serializers", () => {
  it("Rupiah: the digits of any bigint amount up to 2^63 - 1", async () => {
    const { serialize, format } = scalar("Rupiah");
    const amounts = fc.oneof(
      fc.bigInt({ min: 0n, max: 9_223_372_036_854_775_807n }),
      fc.constantFrom(0n, 1n, 9_007_199_254_740_993n, 9_223_372_036_854_775_807n),
    );
    await fc.assert(
      fc.asyncProperty(amounts, async (amount) => {
        const row = await selectIn(
          database.db,
          "UTC",
          bound(`${format("({}::bigint)")} as formatted`, amount.toString()),
        );
        expect(row.formatted).toBe(serialize(amount));
      }),
      runs,
    );
  });

  it("Date: a stored date as YYYY-MM-DD, whatever the session's zone", async () => {
    const { serialize, format } = scalar("Date");
    await fc.assert(
      fc.asyncProperty(day, zones, async (value, zone) => {
        const row = await selectIn(
          database.db,
          zone,
          bound(`({}::date)::text as stored, ${format("({}::date)")} as formatted`, value),
        );
        // drizzle reads a date column in string mode as PostgreSQL's text.
        expect(row.formatted).toBe(serialize(row.stored));
        expect(row.formatted).toBe(value);
      }),
      runs,
    );
  });

  it("Month: a month's first day as YYYY-MM", async () => {
    const { serialize, format } = scalar("Month");
    await fc.assert(
      fc.asyncProperty(day, zones, async (value, zone) => {
        const first = `${value.slice(0, 7)}-01`;
        const row = await selectIn(
          database.db,
          zone,
          bound(`({}::date)::text as stored, ${format("({}::date)")} as formatted`, first),
        );
        expect(row.formatted).toBe(serialize(row.stored));
      }),
      runs,
    );
  });

  it("DateTime: UTC with milliseconds, microseconds cut, WIB midnight and session zones included", async () => {
    const { serialize, format } = scalar("DateTime");
    const millis = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2199, 11, 31) });
    // 17:00 UTC is midnight WIB: the day changes in one zone and not the other. From 1970: before
    // 1924 Jakarta's zone had a seconds offset (+07:07:12) that isoInstant does not read.
    const wibMidnight = fc
      .tuple(
        day.filter((value) => value >= "1970"),
        fc.integer({ min: -1, max: 1 }),
      )
      .map(([date, shift]) => Date.parse(`${date}T17:00:00Z`) + shift);
    const instants = fc
      .tuple(fc.oneof(millis, wibMidnight), fc.integer({ min: 0, max: 999 }))
      .map(([ms, micros]) => `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`);
    await fc.assert(
      fc.asyncProperty(instants, zones, async (instant, zone) => {
        const row = await selectIn(
          database.db,
          zone,
          bound(`({}::timestamptz)::text as stored, ${format("({}::timestamptz)")} as formatted`, instant),
        );
        // drizzle reads a timestamptz in string mode as PostgreSQL's text in the session's zone.
        expect(row.formatted).toBe(serialize(row.stored));
      }),
      runs,
    );
  });

  it("ID: a relay global ID of a row id, as plugin-relay encodes it", async () => {
    const typeNames = fc.constantFrom("Participant", "Payment", "Sponsor", "Sponsorship", "PaymentBatch");
    const ids = fc.oneof(fc.bigInt({ min: 1n, max: 9_007_199_254_740_991n }), fc.constantFrom(1n, 10n, 99_999n));
    await fc.assert(
      fc.asyncProperty(typeNames, ids, async (typeName, id) => {
        const row = await selectIn(
          database.db,
          "UTC",
          bound(`${globalId(typeName, "({}::bigint)")} as formatted`, id.toString()),
        );
        expect(row.formatted).toBe(encodeGlobalID(typeName, id.toString()));
      }),
      runs,
    );
  });
});
