/**
 * The upkeep the tables that grow by design share (docs/operators.md, "Partitioned tables"):
 * partitions made ahead of the ids, and registers whose rows are kept a stated time.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Transaction } from "./client";
import { rowsOf } from "./rows";

/** Makes the partitions a table partitioned by id ranges will need next (`id_partitions_ahead`); returns them. */
export async function idPartitionsAhead(tx: Transaction, table: "payments" | "outbox_events"): Promise<string[]> {
  const [row] = rowsOf<{ created: string[] }>(await tx.execute(sql`select id_partitions_ahead(${table}) as created`));
  return row?.created ?? [];
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
