import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkMigrationLocks, lockProblems } from "./migration-locks";
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
      "VACUUM FULL, CLUSTER, REINDEX without CONCURRENTLY and LOCK TABLE hold an exclusive lock",
    ]);
    expect(
      problems([block("    -- lock-ok: the swap only\n    LOCK TABLE payments IN ACCESS EXCLUSIVE MODE;")]),
    ).toEqual([]);
    expect(problems([block("    UPDATE participants SET channel = 'JMO';")])).toHaveLength(1);
    expect(problems([block("    UPDATE participants SET channel = 'JMO';\n    COMMIT;")], false)).toEqual([]);
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
    expect(problems(["INSERT INTO program_months SELECT * FROM covered_months;"])).toHaveLength(1);
    expect(problems(["DELETE FROM outbox_events WHERE sent_at < now() - interval '1 year';"])).toHaveLength(1);
    expect(problems(["DO $$ BEGIN UPDATE participants SET channel = 'JMO'; COMMIT; END $$;"], false)).toEqual([]);
    expect(problems(["-- lock-ok: 38 provinces\nUPDATE national_targets SET source = 'RPJMN';"])).toEqual([]);
    expect(problems(["INSERT INTO national_targets (year, target) VALUES (2027, 75000000);"])).toEqual([]);
    expect(problems(["LOCK TABLE payments;"])).toHaveLength(1);
    expect(problems(["REINDEX INDEX payments_created_idx;"])).toHaveLength(1);
    expect(problems(["REINDEX INDEX CONCURRENTLY payments_created_idx;"])).toEqual([]);
  });
});
