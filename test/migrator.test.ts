import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, type MigrationConnection } from "../scripts/migrator";
import { withDatabase } from "./testkit/templates";

/**
 * The migrator against real PostgreSQL (#33 item 2): each migration in its own transaction, a
 * failed one leaving nothing behind, `-- migrate: no-transaction` migrations building indexes
 * CONCURRENTLY (an INVALID leftover rebuilt) and backfilling in committed batches, and a lock held
 * elsewhere waited out with lock_timeout and retries rather than queueing traffic behind it.
 */
const url = process.env.DATABASE_URL;
const database = `migrator_test_${process.pid}`;
let admin: pg.Client;
let client: pg.Client;
let folder: string;

const connection = (): MigrationConnection => ({ query: async (text) => ({ rows: (await client.query(text)).rows }) });
async function migration(name: string, text: string) {
  await mkdir(join(folder, name), { recursive: true });
  await writeFile(join(folder, name, "migration.sql"), text);
}
const rows = async (text: string) => (await client.query(text)).rows;

describe.skipIf(process.env.TEST_DATABASE !== "postgres" || !url)("the migrator", () => {
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.query(`create database ${database}`);
    client = new pg.Client({ connectionString: withDatabase(url ?? "", database) });
    await client.connect();
    folder = await mkdtemp(join(tmpdir(), "migrations-"));
  });
  afterAll(async () => {
    await client?.end();
    await admin?.query(`drop database if exists ${database} with (force)`);
    await admin?.end();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("applies each migration once, in its own transaction, and a failed one leaves nothing", async () => {
    await migration(
      "20260101000000_workers",
      "CREATE TABLE workers (id bigint PRIMARY KEY, name text);--> statement-breakpoint\nINSERT INTO workers SELECT g, 'w' || g FROM generate_series(1, 50000) g;",
    );
    expect(await applyMigrations(connection(), folder)).toEqual(["20260101000000_workers"]);
    expect(await applyMigrations(connection(), folder)).toEqual([]);
    // The second statement fails: the first (a new table) must not stay, nor the record.
    await migration(
      "20260102000000_broken",
      "CREATE TABLE leftovers (id int);--> statement-breakpoint\nALTER TABLE workers ADD COLUMN name text;",
    );
    await expect(applyMigrations(connection(), folder)).rejects.toThrow("20260102000000_broken");
    expect(await rows("select to_regclass('leftovers') as t")).toEqual([{ t: null }]);
    expect(await rows("select name from drizzle.__drizzle_migrations order by id")).toEqual([
      { name: "20260101000000_workers" },
    ]);
    await rm(join(folder, "20260102000000_broken"), { recursive: true });
  });

  it("builds an index concurrently outside a transaction, rebuilding one a failed build left invalid", async () => {
    // A unique index over duplicates fails half-way and stays INVALID, as a cancelled build would.
    await client.query("update workers set name = 'same' where id in (1, 2)");
    await expect(client.query("create unique index concurrently workers_name_idx on workers (name)")).rejects.toThrow();
    expect(await rows("select indisvalid from pg_index where indexrelid = 'workers_name_idx'::regclass")).toEqual([
      { indisvalid: false },
    ]);
    await client.query("update workers set name = 'w2' where id = 2");
    await migration(
      "20260103000000_workers_name_idx",
      "-- migrate: no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS workers_name_idx ON workers (name);",
    );
    expect(await applyMigrations(connection(), folder)).toEqual(["20260103000000_workers_name_idx"]);
    expect(await rows("select indisvalid from pg_index where indexrelid = 'workers_name_idx'::regclass")).toEqual([
      { indisvalid: true },
    ]);
  });

  it("backfills in committed batches, and a second run of the same backfill changes nothing", async () => {
    const backfill = `-- migrate: no-transaction
DO $$
DECLARE next_id bigint := 0; last_id bigint;
BEGIN
  SELECT coalesce(max(id), 0) INTO last_id FROM workers;
  WHILE next_id <= last_id LOOP
    INSERT INTO worker_names (id, name) SELECT id, upper(name) FROM workers
    WHERE id > next_id AND id <= next_id + 10000 ON CONFLICT DO NOTHING;
    COMMIT;
    next_id := next_id + 10000;
  END LOOP;
END $$;`;
    await migration("20260104000000_worker_names", "CREATE TABLE worker_names (id bigint PRIMARY KEY, name text);");
    await migration("20260105000000_worker_names_backfill", backfill);
    expect(await applyMigrations(connection(), folder)).toEqual([
      "20260104000000_worker_names",
      "20260105000000_worker_names_backfill",
    ]);
    expect(await rows("select count(*)::int as n from worker_names")).toEqual([{ n: 50000 }]);
    // Cut off before it was recorded: it runs again from the start and adds nothing twice.
    await client.query("delete from drizzle.__drizzle_migrations where name = '20260105000000_worker_names_backfill'");
    await client.query("delete from worker_names where id > 25000");
    expect(await applyMigrations(connection(), folder)).toEqual(["20260105000000_worker_names_backfill"]);
    expect(await rows("select count(*)::int as n, count(distinct id)::int as d from worker_names")).toEqual([
      { n: 50000, d: 50000 },
    ]);
  });

  it("waits out a lock held elsewhere with lock_timeout and retries, never queueing behind it for long", async () => {
    const holder = new pg.Client({ connectionString: withDatabase(url ?? "", database) });
    await holder.connect();
    try {
      await holder.query("begin");
      await holder.query("lock table workers in access share mode");
      await migration("20260106000000_workers_grade", "ALTER TABLE workers ADD COLUMN grade smallint;");
      const heard: string[] = [];
      const applying = applyMigrations(connection(), folder, (line) => heard.push(line), {
        lockTimeout: "100ms",
        backoffMs: 100,
      });
      // Released after the first attempt gave up: a later attempt goes through.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await holder.query("commit");
      expect(await applying).toEqual(["20260106000000_workers_grade"]);
      expect(heard.some((line) => line.includes("trying again"))).toBe(true);
      expect(
        await rows("select count(*)::int as n from information_schema.columns where column_name = 'grade'"),
      ).toEqual([{ n: 1 }]);
    } finally {
      await holder.end();
    }
  });
});
