import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { checkMigrationLocks, loadSqlParser, lockProblems } from "./migration-locks";
import type { Migration } from "./migrator";

const migration = (statements: string[], transactional = true): Migration => ({
  name: "20270101000000_check",
  hash: "",
  createdAt: 0,
  statements,
  transactional,
});
const problems = (statements: string[], transactional = true) =>
  lockProblems(migration(statements, transactional)).map((p) => p.problem);

describe("the migration lock check", () => {
  beforeAll(() => loadSqlParser());

  it("passes every migration written since the rule", () => {
    expect(checkMigrationLocks(fileURLToPath(new URL("../migrations", import.meta.url)))).toEqual([]);
  });

  it("refuses index builds that block writes, and lets concurrent ones through a no-transaction migration", () => {
    expect(problems(['CREATE INDEX "payments_x_idx" ON "payments" ("channel");'])).toHaveLength(1);
    expect(problems(["CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_x_idx ON payments (channel);"])).toEqual([
      "CREATE INDEX CONCURRENTLY needs a migration starting with `-- migrate: no-transaction`",
    ]);
    expect(problems(["CREATE INDEX CONCURRENTLY payments_x_idx ON payments (channel);"], false)).toHaveLength(1);
    expect(problems(["CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_x_idx ON payments (channel);"], false)).toEqual(
      [],
    );
    // A table the migration creates is empty: anything goes on it.
    expect(
      problems(['CREATE TABLE "ledgers" ("id" bigint);', 'CREATE INDEX "ledgers_idx" ON "ledgers" ("id");']),
    ).toEqual([]);
  });

  it("refuses constraints validated under the lock, rewrites and full scans", () => {
    expect(
      problems([
        'ALTER TABLE "payments" ADD CONSTRAINT "p_fk" FOREIGN KEY ("batch_id") REFERENCES "payment_batches"("id");',
      ]),
    ).toHaveLength(1);
    expect(
      problems([
        'ALTER TABLE "payments" ADD CONSTRAINT "p_fk" FOREIGN KEY ("batch_id") REFERENCES "payment_batches"("id") NOT VALID;',
        'ALTER TABLE "payments" VALIDATE CONSTRAINT "p_fk";',
      ]),
    ).toEqual([]);
    expect(problems(['ALTER TABLE "participants" ALTER COLUMN "phone" SET DATA TYPE varchar(40);'])).toHaveLength(1);
    expect(problems(['ALTER TABLE "participants" ALTER COLUMN "phone" SET NOT NULL;'])).toHaveLength(1);
    expect(problems(['ALTER TABLE "participants" ADD COLUMN "token" uuid DEFAULT gen_random_uuid();'])).toHaveLength(1);
    expect(problems(['ALTER TABLE "participants" ADD COLUMN "note" text DEFAULT \'\';'])).toEqual([]);
    expect(problems(['ALTER TABLE "participants" ADD CONSTRAINT "u" UNIQUE ("phone");'])).toHaveLength(1);
    expect(
      problems(['ALTER TABLE "participants" ADD CONSTRAINT "u" UNIQUE USING INDEX "participants_phone_key";']),
    ).toEqual([]);
  });

  it("reads the statements inside a DO block as if written out", () => {
    const block = (body: string) => `DO $$\nBEGIN\n  IF true THEN\n${body}\n  END IF;\nEND $$;`;
    expect(problems([block("    LOCK TABLE payments IN ACCESS EXCLUSIVE MODE;")])).toEqual([
      "LOCK TABLE holds an exclusive lock until the migration's transaction ends",
    ]);
    expect(
      problems([block("    -- lock-ok: the swap only\n    LOCK TABLE payments IN ACCESS EXCLUSIVE MODE;")]),
    ).toEqual([]);
    expect(problems([block("    UPDATE participants SET channel = 'JMO';")])).toHaveLength(1);
    expect(
      problems([
        block(
          '    ALTER TABLE "payments" ADD CONSTRAINT "p_fk" FOREIGN KEY ("batch_id") REFERENCES "payment_batches"("id");',
        ),
      ]),
    ).toHaveLength(1);
    // A table the block creates is empty: anything goes on it.
    expect(
      problems([block("    CREATE TABLE ledgers (id bigint);\n    CREATE INDEX ledgers_idx ON ledgers (id);")]),
    ).toEqual([]);
  });

  it("refuses backfills inside a transaction, and lets batched ones and reference data through", () => {
    expect(problems(["UPDATE participants SET channel = 'JMO' WHERE channel IS NULL;"])).toHaveLength(1);
    // Outside a transaction one statement still locks every row it touches until it ends.
    expect(problems(["UPDATE participants SET channel = 'JMO' WHERE channel IS NULL;"], false)).toHaveLength(1);
    expect(problems(["DO $$ BEGIN UPDATE participants SET channel = 'JMO'; END $$;"], false)).toHaveLength(1);
    expect(
      problems(
        [
          `DO $$
DECLARE next_id bigint := 0;
BEGIN
  WHILE next_id < 100 LOOP
    UPDATE participants SET channel = 'JMO' WHERE id > next_id AND id <= next_id + 10;
    COMMIT;
    next_id := next_id + 10;
  END LOOP;
END $$;`,
        ],
        false,
      ),
    ).toEqual([]);
    expect(problems(["INSERT INTO program_months SELECT * FROM covered_months;"])).toHaveLength(1);
    expect(problems(["DELETE FROM outbox_events WHERE sent_at < now() - interval '1 year';"])).toHaveLength(1);
    expect(problems(["-- lock-ok: 38 provinces\nUPDATE national_targets SET source = 'RPJMN';"])).toEqual([]);
    expect(problems(["INSERT INTO national_targets (year, target) VALUES (2027, 75000000);"])).toEqual([]);
    expect(problems(["LOCK TABLE payments;"])).toHaveLength(1);
    expect(problems(["REINDEX INDEX payments_created_idx;"])).toHaveLength(1);
    expect(problems(["REINDEX INDEX CONCURRENTLY payments_created_idx;"])).toEqual([]);
  });

  it("reads every statement of a chunk, however it is written", () => {
    // Two statements between breakpoints: the second is checked too.
    expect(
      problems(["ALTER TABLE participants ADD COLUMN note text; CREATE INDEX ON participants (note);"]),
    ).toHaveLength(1);
    // Unnamed constraints, in any case and spacing.
    expect(problems(["alter table payments add foreign key (batch_id) references payment_batches (id);"])).toHaveLength(
      1,
    );
    expect(problems(["ALTER TABLE payments\n  ADD CHECK (amount > 0);"])).toHaveLength(1);
    expect(problems(["ALTER TABLE payments ADD CHECK (amount > 0) NOT VALID;"])).toEqual([]);
    // A schema-qualified, quoted name is the same table.
    expect(problems(['CREATE INDEX "x" ON "public"."payments" ("channel");'])).toHaveLength(1);
  });

  it("refuses columns that rewrite or scan the table", () => {
    expect(problems(["ALTER TABLE participants ADD COLUMN seq bigserial;"])).toHaveLength(1);
    expect(problems(["ALTER TABLE participants ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;"])).toHaveLength(1);
    expect(problems(["ALTER TABLE participants ADD COLUMN y int GENERATED ALWAYS AS (1 + 1) STORED;"])).toHaveLength(1);
    expect(problems(["ALTER TABLE participants ADD COLUMN z int CHECK (z > 0);"])).toHaveLength(1);
    expect(problems(["ALTER TABLE participants ADD COLUMN s bigint REFERENCES sponsors (id);"])).toHaveLength(1);
    expect(problems(["ALTER TABLE participants SET UNLOGGED;"])).toHaveLength(1);
    expect(problems(["ALTER TABLE participants ADD COLUMN flag boolean NOT NULL DEFAULT false;"])).toEqual([]);
  });

  it("treats only a table the migration creates as new", () => {
    expect(
      problems(["CREATE TABLE IF NOT EXISTS payments (id bigint);", "CREATE INDEX payments_x_idx ON payments (id);"]),
    ).toHaveLength(1);
    expect(problems(["TRUNCATE payments;"])).toHaveLength(1);
    expect(problems(["CREATE TABLE scratch (id bigint);", "TRUNCATE scratch;"])).toEqual([]);
  });

  it("reads what EXECUTE format(…) runs, and refuses SQL it cannot read", () => {
    const block = (body: string) => `DO $$\nDECLARE bound bigint := 5;\nBEGIN\n${body}\nEND $$;`;
    expect(
      problems([block("  EXECUTE format('ALTER TABLE payments ADD CONSTRAINT b CHECK (id < %s)', bound);")], false),
    ).toHaveLength(1);
    expect(
      problems(
        [block("  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT b CHECK (id < %s) NOT VALID', 'payments', bound);")],
        false,
      ),
    ).toEqual([]);
    expect(problems([block("  EXECUTE 'CREATE INDEX x ON payments (' || 'channel)';")], false)).toHaveLength(1);
    expect(problems([block("  -- lock-ok: reviewed, builds nothing\n  EXECUTE 'SELECT ' || bound;")], false)).toEqual(
      [],
    );
  });

  it("refuses a migration added later with a date from before the rule", () => {
    const folder = mkdtempSync(join(tmpdir(), "migrations-"));
    try {
      cpSync(fileURLToPath(new URL("../migrations", import.meta.url)), folder, { recursive: true });
      cpSync(join(folder, "20261205132302_target_sources"), join(folder, "20261101000000_backdated"), {
        recursive: true,
      });
      expect(checkMigrationLocks(folder).map((p) => p.problem)).toEqual([
        expect.stringContaining("carries an older date"),
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("reads what a review of this check tried to slip past it", () => {
    // A trailing lock-ok belongs to its own line's statement, not the next one.
    expect(
      problems([
        "UPDATE national_targets SET source = 'x'; -- lock-ok: 38 rows\nUPDATE participants SET channel = 'JMO';",
      ]),
    ).toHaveLength(2);
    // Only format() as the whole expression is read; a %s standing for a type or an expression is not.
    const block = (body: string) => `DO $$\nBEGIN\n${body}\nEND $$;`;
    expect(
      problems([block("  EXECUTE 'ALTER TABLE payments ALTER COLUMN a TYPE bigint; ' || format('SELECT 1');")], false),
    ).toHaveLength(1);
    expect(
      problems([block("  EXECUTE format('ALTER TABLE %I ADD COLUMN c %s', 'payments', 'bigserial');")], false),
    ).toHaveLength(1);
    // A templated CREATE TABLE makes no table this check knows.
    expect(
      problems(
        [
          block(
            "  EXECUTE format('CREATE TABLE %I (id bigint)', 'x');\n  EXECUTE format('CREATE INDEX ON %I (id)', 'payments');",
          ),
        ],
        false,
      ),
    ).toHaveLength(1);
    expect(
      problems(["DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN EXECUTE 'SELECT 1' LOOP\n  END LOOP;\nEND $$;"], false),
    ).toHaveLength(1);
    // Writes in a CTE, MERGE, EXCLUDE, access methods, refreshes and procedures.
    expect(
      problems(["WITH d AS (DELETE FROM payments WHERE id < 5 RETURNING 1) SELECT count(*) FROM d;"]),
    ).toHaveLength(1);
    expect(
      problems(["MERGE INTO participants p USING sponsors s ON s.id = p.sponsor_id WHEN MATCHED THEN DELETE;"]),
    ).toHaveLength(1);
    expect(
      problems(["ALTER TABLE sponsorships ADD CONSTRAINT no_overlap EXCLUDE USING gist (sponsor_id WITH =);"]),
    ).toHaveLength(1);
    expect(problems(["ALTER TABLE participants SET ACCESS METHOD heap;"])).toHaveLength(1);
    expect(problems(["ALTER INDEX participants_pkey SET TABLESPACE fast;"])).toHaveLength(1);
    expect(problems(["REFRESH MATERIALIZED VIEW coverage_summary;"])).toHaveLength(1);
    expect(problems(["REFRESH MATERIALIZED VIEW CONCURRENTLY coverage_summary;"])).toEqual([]);
    expect(problems(["CALL backfill_everything();"])).toHaveLength(1);
    // CREATE TABLE AS makes its table; a quoted or other schema's namesake is another table.
    expect(problems(["CREATE TABLE t2 AS SELECT 1 AS id;", "CREATE INDEX ON t2 (id);"])).toEqual([]);
    expect(problems(['CREATE TABLE "Payments" (id bigint);', "CREATE INDEX ON payments (id);"])).toHaveLength(1);
    expect(problems(["CREATE TABLE archive.payments (id bigint);", "CREATE INDEX ON payments (id);"])).toHaveLength(1);
    // A body holding this check's own dollar tag still reads; a lock-ok above a DO is not one for inside it.
    expect(problems([`DO $body$ BEGIN PERFORM '$lock_check$'; END $body$;`])).toEqual([]);
    expect(problems(["-- lock-ok: the block\nDO $$ BEGIN LOCK TABLE payments; END $$;"])).toHaveLength(1);
    // The parent's own index on a partitioned table is a catalog change.
    expect(problems(["CREATE INDEX payments_x_idx ON ONLY payments (channel);"])).toEqual([]);
  });
});
