import { decodeGlobalID } from "@pothos/plugin-relay";
import { alias, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import type { GraphQLField } from "graphql";
import { rowId } from "../shared/ids";
import { type CursorPart, column } from "./sql-values";
import { type Fragment, NotPlannable, type PlanInput, type PredicateSlot } from "./statement";

/**
 * What the read planner reads for one GraphQL field, declared on the field itself (its
 * `extensions.readPlan`): the planner reads it from the built schema, so a field is defined once.
 * A field with no declaration makes the coverage test fail (test/read-plan-coverage.test.ts).
 */

/** Arguments of a field as the request gives them (coerced, defaults applied). */
export type Arguments = (input: PlanInput) => Record<string, unknown>;

/** A value of the row; the compiler writes it in the field's scalar's SQL format (shared/scalars.ts). */
export interface ScalarPlan {
  kind: "scalar";
  sql: (row: string) => Fragment;
}

/** One related row, joined along the drizzle relation `via` (db/relations.ts) of the parent's table. */
export interface RelationPlan {
  kind: "relation";
  via: string | undefined;
  /** The related type's per-object check; where it fails the executor answers null + FORBIDDEN. */
  check: ((child: string) => PredicateSlot) | undefined;
}

export interface OrderColumn {
  column: PgColumn;
  direction: "asc" | "desc";
  /** What the drizzle cursor holds for this column. */
  cursor: (row: string) => CursorPart;
  /** A cursor value this column accepts (anything else is an invalid cursor for the executor). */
  accepts: (value: unknown) => boolean;
}

/** A relay connection; a related one is joined along the drizzle relation `via` of the parent's table. */
export interface ConnectionPlan {
  kind: "connection";
  via: string | undefined;
  /** The rows of the connection beyond the join: visibility and the field's filter (no paging). */
  where: (child: string, args: Arguments) => Fragment;
  /** The ordering, tie-breaker included, as the field's resolver asks plugin-drizzle for it. */
  ordering: (args: Record<string, unknown>) => OrderColumn[];
}

/** A list kept inside the row (a JSON column); its elements' fields are scalar plans over `element`. */
export interface EmbeddedPlan {
  kind: "embedded";
  /** The FROM clause listing the elements under the alias `element`. */
  from: (row: string, element: string) => string;
  order: (element: string) => string;
}

/** A root field answering one row by its `id` argument (a global ID of the field's type). */
export interface LookupPlan {
  kind: "lookup";
  check: ((row: string) => PredicateSlot) | undefined;
}

/** A field the executor answers: an operation selecting it is not planned. */
export interface ExecutorOnly {
  kind: "executor";
  reason: string;
}

export type FieldPlan = ScalarPlan | RelationPlan | ConnectionPlan | EmbeddedPlan | LookupPlan | ExecutorOnly;

/** The `extensions` a field declares its plan with. */
export type PlanExtension = { readPlan: FieldPlan };

const declare = (readPlan: FieldPlan): PlanExtension => ({ readPlan });

/** Field declarations, for a field's `extensions`: `extensions: plan.column(participants.fullName)`. */
export const plan = {
  /** The column's value. */
  column: (col: PgColumn): PlanExtension => declare({ kind: "scalar", sql: (row) => [column(row, col.name)] }),
  /** An SQL expression over the row (static text, or slots the request fills). */
  expression: (sql: (row: string) => Fragment): PlanExtension => declare({ kind: "scalar", sql }),
  relation: (options: { via?: string; check?: (child: string) => PredicateSlot } = {}): PlanExtension =>
    declare({ kind: "relation", via: options.via, check: options.check }),
  connection: (options: Omit<ConnectionPlan, "kind" | "via"> & { via?: string }): PlanExtension =>
    declare({ kind: "connection", ...options, via: options.via }),
  embedded: (options: Omit<EmbeddedPlan, "kind">): PlanExtension => declare({ kind: "embedded", ...options }),
  lookup: (options: { check?: (row: string) => PredicateSlot } = {}): PlanExtension =>
    declare({ kind: "lookup", check: options.check }),
  /** Answered by the executor; the reason is listed in docs/contributors.md "How reads run". */
  executorOnly: (reason: string): PlanExtension => declare({ kind: "executor", reason }),
};

const kinds = new Set<FieldPlan["kind"]>(["scalar", "relation", "connection", "embedded", "lookup", "executor"]);

/** The plan a field declares, or undefined. */
export function planOf(field: GraphQLField<unknown, unknown>): FieldPlan | undefined {
  const declared = (field.extensions as Partial<PlanExtension> | undefined)?.readPlan;
  return declared && kinds.has(declared.kind) ? declared : undefined;
}

const aliases = new Map<PgTable, Map<string, PgTable>>();
/** A drizzle table under the statement's alias, for the domain's predicates to name its columns. */
export function aliased<T extends PgTable>(table: T, row: string): T {
  let byRow = aliases.get(table);
  if (!byRow) {
    byRow = new Map();
    aliases.set(table, byRow);
  }
  let found = byRow.get(row);
  if (!found) {
    found = alias(table, row) as unknown as PgTable;
    byRow.set(row, found);
  }
  // An alias has the table's columns under another name; drizzle types it as a table of that name.
  return found as T;
}

/** A global ID argument for `typeName`, as Pothos decodes it; anything it would refuse → executor. */
export function idArgument(raw: unknown, typeName: string): number {
  if (typeof raw !== "string") throw new NotPlannable("id is not a string");
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(raw);
  } catch {
    throw new NotPlannable("invalid global id");
  }
  if (decoded.typename !== typeName) throw new NotPlannable("global id of another type");
  // Ids that are not plain digits are left to the executor's own parsing.
  if (!/^[0-9]{1,16}$/.test(decoded.id)) throw new NotPlannable("unusual id");
  return rowId(decoded.id) ?? -1;
}

/** One ordering column, its cursor written as plugin-drizzle writes the column's JS value. */
function orderColumn(col: PgColumn, direction: "asc" | "desc"): OrderColumn {
  if (col.dataType.startsWith("number")) {
    return {
      column: col,
      direction,
      cursor: (row) => ({ tag: "N", number: column(row, col.name) }),
      accepts: (value) => typeof value === "number",
    };
  }
  if (col.columnType !== "PgTimestampString" && col.columnType !== "PgVarchar" && col.columnType !== "PgText") {
    throw new Error(`read plan: no cursor format for ${col.columnType} (${col.name})`);
  }
  // drizzle reads a timestamptz in string mode as PostgreSQL's own text, and the cursor keeps it.
  const text = col.columnType === "PgTimestampString" ? (row: string) => `${column(row, col.name)}::text` : undefined;
  return {
    column: col,
    direction,
    cursor: (row) => ({ tag: "S", text: text ? text(row) : column(row, col.name) }),
    accepts: (value) => typeof value === "string",
  };
}

/**
 * The ordering a resolver gives plugin-drizzle (`{ registeredAt: "desc" }`) as the planner pages
 * it: plugin-drizzle appends the primary key in the last column's direction when it is missing.
 */
export function orderingOf<T extends PgTable & { id: PgColumn }>(
  table: T,
  orderBy: Readonly<Partial<Record<keyof T & string, "asc" | "desc">>>,
): OrderColumn[] {
  const columns = table as unknown as Record<string, PgColumn>;
  const entries = Object.entries(orderBy) as [string, "asc" | "desc"][];
  const ordering = entries.map(([key, direction]) => {
    const col = columns[key];
    if (!col) throw new Error(`read plan: ${key} is not a column`);
    return orderColumn(col, direction);
  });
  const last = entries.at(-1)?.[1] ?? "asc";
  if (!entries.some(([key]) => columns[key] === table.id)) ordering.push(orderColumn(table.id, last));
  return ordering;
}
