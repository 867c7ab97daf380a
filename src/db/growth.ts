/**
 * The upkeep the tables that grow by design share (docs/operators.md, "Partitioned tables"):
 * partitions made ahead of the ids, and registers whose rows are kept a stated time.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Transaction } from "./client";
import { sqlStateOf } from "./errors";
import { rowsOf } from "./rows";

/** The longest a change to a table's partitions waits for the table's lock. */
const partitionLockWait = "2s";

/**
 * Runs a change to a partitioned table's partitions (CREATE … PARTITION OF, ATTACH, DETACH), which
 * takes the parent's exclusive lock and holds it until the step's transaction commits, so it is the
 * step's last work. Queued behind a long reader, that lock would hold up every read and write of
 * the table after it, so the change waits at most `partitionLockWait` and, refused, is undone (a
 * savepoint) and left for the next run: null. Partitions are made two ahead and retired long after
 * their retention, so a day late is harmless.
 */
export async function changePartitions<T>(tx: Transaction, change: (tx: Transaction) => Promise<T>): Promise<T | null> {
  const [setting] = rowsOf<{ before: string }>(await tx.execute(sql`select current_setting('lock_timeout') as before`));
  // A released savepoint keeps its SET LOCAL to the transaction's end: put the step's own back.
  const restore = () => tx.execute(sql`select set_config('lock_timeout', ${setting?.before ?? "0"}, true)`);
  let changed: T;
  try {
    changed = await tx.transaction(async (savepoint) => {
      await savepoint.execute(sql`select set_config('lock_timeout', ${partitionLockWait}, true)`);
      return change(savepoint);
    });
  } catch (error) {
    // lock_not_available: the wait ran out, and the savepoint's rollback undid the change.
    if (sqlStateOf(error) !== "55P03") throw error;
    await restore();
    return null;
  }
  await restore();
  return changed;
}

/** What a partition step reports: what it changed, or that the table was busy and it is left for the next run. */
export function partitionsChanged<T extends Record<string, unknown>>(changed: T | null): T | { busy: string } {
  return changed ?? { busy: "the table's lock was held longer than the wait: left for the next run" };
}

/**
 * Makes the partitions a table partitioned by id ranges will need next (`id_partitions_ahead`);
 * returns them, or null when the table was too busy to lock (left for the next run).
 */
export function idPartitionsAhead(
  tx: Transaction,
  table: "payments" | "outbox_events",
): Promise<{ created: string[] } | null> {
  return changePartitions(tx, async (change) => {
    const [row] = rowsOf<{ created: string[] }>(
      await change.execute(sql`select id_partitions_ahead(${table}) as created`),
    );
    return { created: row?.created ?? [] };
  });
}

/** Deletes a table's rows whose `column` is before `before`; returns how many. */
export async function forgetRowsBefore(
  tx: Transaction,
  table: PgTable,
  column: PgColumn,
  before: string,
): Promise<number> {
  const older: SQL = sql`${column} < ${before}::timestamptz`;
  const [row] = rowsOf<{ forgotten: number }>(
    await tx.execute(sql`
      with forgotten as (delete from ${table} where ${older} returning 1)
      select count(*)::int as forgotten from forgotten`),
  );
  return row?.forgotten ?? 0;
}
