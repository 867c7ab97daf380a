/**
 * Applies the checked-in drizzle-kit migrations one by one, so a migration can keep its locks
 * short (docs/operators.md, "Rolling out a migration"):
 *
 * - Each migration runs in **its own transaction**, with `lock_timeout` set for the session: a
 *   statement that would queue behind a long transaction gives up after a few seconds instead of
 *   stalling every query queued behind it, and the migration is retried (up to 5 times, backoff).
 * - A migration whose first line is `-- migrate: no-transaction` runs statement by statement,
 *   outside any transaction: what `CREATE INDEX CONCURRENTLY` needs, and batched backfills (a `DO`
 *   block that COMMITs between batches). Its statements must be safe to run again (IF NOT EXISTS,
 *   ON CONFLICT DO NOTHING), since a migration cut off half-way runs again from its start. An index
 *   a failed concurrent build left INVALID is dropped (concurrently) and built again.
 *
 * Bookkeeping is drizzle's own table (`drizzle.__drizzle_migrations`, one row per applied
 * migration, by name), so databases migrated before keep their history and drizzle-kit reads it.
 */
import { readMigrationFiles } from "drizzle-orm/migrator";
import { sqlStateOf } from "../src/db/errors";

/** One connection the migrator holds for the whole run: session settings and transactions stay on it. */
export interface MigrationConnection {
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface Migration {
  name: string;
  /** drizzle's: the sha256 of the file, and the folder's timestamp in milliseconds. */
  hash: string;
  createdAt: number;
  statements: string[];
  transactional: boolean;
}

export const noTransactionDirective = "-- migrate: no-transaction";
const lockTimeout = "5s";
const attempts = 5;

/**
 * Every migration in `folder` (`<YYYYMMDDHHMMSS>_<name>/migration.sql`), oldest first, as drizzle
 * reads them (its name, hash and timestamp are what its bookkeeping holds), with empty statements
 * left out and whether it runs in a transaction.
 */
export function readMigrations(folder: string): Migration[] {
  return readMigrationFiles({ migrationsFolder: folder }).map((migration) => ({
    name: migration.name,
    hash: migration.hash,
    createdAt: migration.folderMillis,
    statements: migration.sql
      .map((statement) => statement.trim())
      .filter((statement) => statement.replace(/^\s*--.*$/gm, "").trim() !== ""),
    transactional: !(migration.sql[0] ?? "").trimStart().startsWith(noTransactionDirective),
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lock timeouts, deadlocks and serialization failures: worth another try once the other side is done. */
const retriable = (error: unknown) => ["55P03", "40P01", "40001"].includes(sqlStateOf(error) ?? "");

const concurrentIndex = /^\s*create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?"?([a-z0-9_]+)"?/im;

async function runOutsideTransaction(connection: MigrationConnection, statement: string): Promise<void> {
  const index = concurrentIndex.exec(statement.replace(/^\s*--.*$/gm, ""))?.[1];
  if (index) {
    // A concurrent build that failed (a deadlock, a unique violation, a cancel) leaves an INVALID
    // index that IF NOT EXISTS would then skip: drop it and build again.
    const invalid = await connection.query(
      `select 1 from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = '${index}' and not i.indisvalid`,
    );
    if (invalid.rows.length > 0) await connection.query(`drop index concurrently if exists "${index}"`);
  }
  await connection.query(statement);
}

/**
 * Applies the migrations of `folder` not yet recorded, in order, on one held connection; returns
 * the names applied. `log` hears each one with its duration.
 */
export async function applyMigrations(
  connection: MigrationConnection,
  folder: string,
  log: (line: string) => void = () => {},
  options: { lockTimeout?: string; backoffMs?: number } = {},
): Promise<string[]> {
  await connection.query("create schema if not exists drizzle");
  await connection.query(`create table if not exists drizzle.__drizzle_migrations (
    id serial primary key, hash text not null, created_at bigint, name text, applied_at timestamp with time zone default now())`);
  const applied = new Set(
    (await connection.query("select name from drizzle.__drizzle_migrations")).rows.map((row) => String(row.name)),
  );
  // Every statement of this session gives up waiting for a lock after a while (a retry follows).
  await connection.query(`set lock_timeout = '${options.lockTimeout ?? lockTimeout}'`);
  const done: string[] = [];
  try {
    for (const migration of readMigrations(folder)) {
      if (applied.has(migration.name)) continue;
      const record = `insert into drizzle.__drizzle_migrations (hash, created_at, name)
        values ('${migration.hash}', ${migration.createdAt}, '${migration.name.replaceAll("'", "''")}')`;
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        try {
          if (migration.transactional) {
            await connection.query("begin");
            try {
              for (const statement of migration.statements) await connection.query(statement);
              await connection.query(record);
              await connection.query("commit");
            } catch (error) {
              await connection.query("rollback");
              throw error;
            }
          } else {
            for (const statement of migration.statements) await runOutsideTransaction(connection, statement);
            await connection.query(record);
          }
          break;
        } catch (error) {
          if (attempt >= attempts || !retriable(error)) {
            throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
          }
          log(`migration ${migration.name}: ${(error as Error).message}; trying again (${attempt + 1} of ${attempts})`);
          await sleep((options.backoffMs ?? 500) * 2 ** attempt);
        }
      }
      log(`applied ${migration.name} in ${Math.round(performance.now() - started)} ms`);
      done.push(migration.name);
    }
  } finally {
    await connection.query("reset lock_timeout");
  }
  return done;
}
