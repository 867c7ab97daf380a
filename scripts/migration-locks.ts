/**
 * `npm run migrations:check`: refuses a new migration that would hold a long lock on a table that
 * already exists (and may hold millions of rows), so no migration added from now on stops the API
 * (docs/operators.md, "Rolling out a migration"). Migrations up to `lockCheckBaseline` were written
 * before the rule and stay as they are. scripts/migration-locks.test.ts runs it in `npm test`.
 *
 * Refused on an existing table, each with the way to do it instead:
 * - CREATE INDEX without CONCURRENTLY (a write lock for the whole build);
 * - CREATE INDEX CONCURRENTLY outside a `-- migrate: no-transaction` migration, or without IF NOT
 *   EXISTS (the migrator runs such a migration again from its start if cut off);
 * - ADD CONSTRAINT (foreign key or check) without NOT VALID, and ADD PRIMARY KEY / UNIQUE without
 *   USING INDEX (a full scan under the lock; VALIDATE CONSTRAINT afterwards takes a light lock);
 * - ALTER COLUMN … TYPE and ALTER COLUMN … SET NOT NULL (a rewrite or a full scan under an
 *   exclusive lock), and ADD COLUMN with a volatile default (a rewrite);
 * - UPDATE or DELETE of rows, or INSERT … SELECT from an existing table, inside a transactional
 *   migration (a backfill holds its row locks until the end): batch it in a no-transaction
 *   migration that COMMITs between batches;
 * - VACUUM FULL, CLUSTER, REINDEX without CONCURRENTLY, LOCK TABLE.
 * A statement may be let through with a comment `-- lock-ok: <why>` right before it (a table known
 * to stay small, such as reference data, or a swap that holds its lock for catalog changes only).
 * The statements inside a `DO` block are checked one by one; SQL a block builds at run time
 * (EXECUTE) is not, so a reviewer reads those.
 */
import { fileURLToPath } from "node:url";
import { type Migration, readMigrations } from "./migrator";

/** The last migration written before the rule: it and those before it are not checked. */
export const lockCheckBaseline = "20261205132302_target_sources";

export interface LockProblem {
  migration: string;
  statement: string;
  problem: string;
}

const withoutComments = (text: string) => text.replace(/--(?!\s*lock-ok:).*$/gm, "").trim();
const name = (raw: string | undefined) =>
  (raw ?? "")
    .replaceAll('"', "")
    .replace(/^public\./, "")
    .toLowerCase();

/** Tables a statement touches that the migration did not create itself. */
function existing(table: string | undefined, created: ReadonlySet<string>): boolean {
  return table !== undefined && !created.has(name(table));
}

const ident = String.raw`("?[a-zA-Z_][a-zA-Z0-9_.]*"?)`;

/**
 * The statements of a DO block's body that a lock rule reads (ALTER, CREATE, LOCK, UPDATE, DELETE,
 * INSERT, VACUUM, CLUSTER, REINDEX, each from its line's start to its `;`), with the comments
 * before each, so `-- lock-ok:` works inside a block too.
 */
function innerStatements(block: string): string[] {
  const body = block.slice(
    block.indexOf("$", block.indexOf("$") + 1) + 1,
    block.lastIndexOf("$", block.lastIndexOf("$") - 1),
  );
  return body
    .split(";")
    .map((piece) =>
      /(?:^|\n)((?:[ \t]*--[^\n]*\n)*)[ \t]*((?:alter|create|lock|update|delete|insert|vacuum|cluster|reindex)\b[\s\S]*)$/i.exec(
        piece,
      ),
    )
    .filter((found): found is RegExpExecArray => found !== null)
    .map((found) => `${found[1] ?? ""}${found[2] ?? ""}`);
}

/** The problems of one migration's statements, given the tables it creates before them. */
export function lockProblems(migration: Migration): LockProblem[] {
  const created = new Set<string>();
  const problems: LockProblem[] = [];
  const check = (raw: string): void => {
    const allowed = /--\s*lock-ok:\s*\S/.test(raw);
    const statement = withoutComments(raw)
      .replace(/--\s*lock-ok:.*$/gm, "")
      .trim();
    const refuse = (problem: string) => {
      if (!allowed) problems.push({ migration: migration.name, statement: statement.slice(0, 120), problem });
    };
    // A DO block's statements are checked one by one, as if written out (what EXECUTE builds is not).
    const block = /^do\s+\$([a-z_]*)\$([\s\S]*)\$\1\$\s*;?$/i.exec(withoutComments(raw).trim());
    if (block) {
      for (const inner of innerStatements(raw)) check(inner);
      return;
    }
    const createTable = new RegExp(
      String.raw`^create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?${ident}`,
      "i",
    ).exec(statement);
    if (createTable) {
      created.add(name(createTable[1]));
      return;
    }
    const index = new RegExp(
      String.raw`^create\s+(?:unique\s+)?index\s+(concurrently\s+)?(if\s+not\s+exists\s+)?(?:"?[a-zA-Z0-9_]+"?\s+)?on\s+(?:only\s+)?${ident}`,
      "i",
    ).exec(statement);
    if (index) {
      if (!existing(index[3], created)) return;
      if (!index[1])
        refuse(
          "CREATE INDEX on an existing table: use CREATE INDEX CONCURRENTLY IF NOT EXISTS in a no-transaction migration",
        );
      else if (migration.transactional)
        refuse("CREATE INDEX CONCURRENTLY needs a migration starting with `-- migrate: no-transaction`");
      else if (!index[2]) refuse("CREATE INDEX CONCURRENTLY needs IF NOT EXISTS: a cut-off migration runs again");
      return;
    }
    const alter = new RegExp(
      String.raw`^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${ident}\s+([\s\S]*)$`,
      "i",
    ).exec(statement);
    if (alter && existing(alter[1], created)) {
      const action = alter[2] ?? "";
      if (/add\s+constraint\s+\S+\s+(foreign\s+key|check)\b/i.test(action) && !/not\s+valid/i.test(action))
        refuse("ADD CONSTRAINT on an existing table: add it NOT VALID, then VALIDATE CONSTRAINT in a later statement");
      if (/add\s+(constraint\s+\S+\s+)?(primary\s+key|unique)\b/i.test(action) && !/using\s+index/i.test(action))
        refuse(
          "ADD PRIMARY KEY / UNIQUE scans under the lock: build a unique index CONCURRENTLY, then ADD … USING INDEX",
        );
      if (/alter\s+(column\s+)?\S+\s+(set\s+data\s+)?type\b/i.test(action))
        refuse("ALTER COLUMN … TYPE rewrites the table: add a new column, backfill in batches, switch readers");
      if (/alter\s+(column\s+)?\S+\s+set\s+not\s+null/i.test(action))
        refuse(
          "SET NOT NULL scans under an exclusive lock: add a CHECK (… IS NOT NULL) NOT VALID and VALIDATE it first",
        );
      if (
        /add\s+(column\s+)?[\s\S]*default\s+[\s\S]*(random\(|gen_random_uuid\(|clock_timestamp\(|nextval\(|uuid_generate)/i.test(
          action,
        )
      )
        refuse("ADD COLUMN with a volatile default rewrites the table: add it without, then backfill in batches");
      return;
    }
    const write = /^(update|delete\s+from)\s+(?:only\s+)?("?[a-zA-Z_][a-zA-Z0-9_.]*"?)/i.exec(statement);
    if (write && migration.transactional && existing(write[2], created)) {
      refuse(
        `${(write[1] ?? "").toUpperCase()} in a transactional migration holds its row locks to the end: batch it in a no-transaction migration`,
      );
      return;
    }
    const insert =
      /^insert\s+into\s+("?[a-zA-Z_][a-zA-Z0-9_.]*"?)[\s\S]*?\bselect\b[\s\S]*?\bfrom\s+("?[a-zA-Z_][a-zA-Z0-9_.]*"?)/i.exec(
        statement,
      );
    if (insert && migration.transactional && existing(insert[2], created)) {
      refuse("INSERT … SELECT from an existing table is a backfill: batch it in a no-transaction migration");
      return;
    }
    if (
      /^(vacuum\s+full|cluster\b|lock\s+table\b)/i.test(statement) ||
      /^reindex\s+(?!.*concurrently)/i.test(statement)
    )
      refuse("VACUUM FULL, CLUSTER, REINDEX without CONCURRENTLY and LOCK TABLE hold an exclusive lock");
  };
  for (const raw of migration.statements) check(raw);
  return problems;
}

/** The problems of every checked migration in `folder`. */
export function checkMigrationLocks(folder: string, baseline = lockCheckBaseline): LockProblem[] {
  return readMigrations(folder)
    .filter((migration) => migration.name > baseline)
    .flatMap(lockProblems);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkMigrationLocks(fileURLToPath(new URL("../migrations", import.meta.url)));
  for (const p of problems) console.error(`${p.migration}: ${p.problem}\n    ${p.statement}`);
  if (problems.length > 0) process.exit(1);
  console.log(`migrations after ${lockCheckBaseline}: no long locks on existing tables`);
}
