import { getTableColumns, type InferInsertModel, type InferSelectModel, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";

/**
 * A row's column list and values for an INSERT written as SQL (a data-modifying CTE, where
 * Drizzle's builder cannot reach), each value encoded and typed as Drizzle's own insert would.
 * `computed` columns take an SQL expression instead: it may read another CTE's row.
 */
export function insertList<T extends PgTable>(
  table: T,
  row: InferInsertModel<T>,
  computed: Partial<Record<keyof InferInsertModel<T> & string, SQL>> = {},
): { columns: SQL; values: SQL } {
  const given = row as Record<string, unknown>;
  const expressions = computed as Record<string, SQL | undefined>;
  const names: SQL[] = [];
  const values: SQL[] = [];
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const expression = expressions[key];
    const value = given[key];
    if (expression === undefined && value === undefined) continue;
    names.push(sql`${sql.identifier(column.name)}`);
    if (expression !== undefined) values.push(expression);
    else if (value === null) values.push(sql`null`);
    else values.push(sql`${sql.param(value, column)}::${sql.raw(column.getSQLType())}`);
  }
  return { columns: sql.join(names, sql`, `), values: sql.join(values, sql`, `) };
}

/** A row as Drizzle's own select returns it, from a raw statement's row (column names, driver values). */
export function rowOf<T extends PgTable>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}

/** The rows of a raw statement (`db.execute`), as every driver returns them. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** How many rows a raw statement (`db.execute`) wrote, as every driver reports it. */
export function rowCountOf(result: unknown): number {
  return Number((result as { rowCount?: number | null }).rowCount ?? 0);
}
