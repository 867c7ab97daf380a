import { and, eq, getTableName, gt, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  type GraphQLType,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  isAbstractType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  typeFromAST,
} from "graphql";
import { connectionPageSizes } from "../builder";
import { relations } from "../db/relations";
import { drizzleCursorValues } from "../shared/cursors";
import { sqlFormatOf } from "../shared/scalars";
import {
  type Arguments,
  type ConnectionPlan,
  type EmbeddedPlan,
  type FieldPlan,
  idArgument,
  type LookupPlan,
  type OrderColumn,
  planOf,
  type RelationPlan,
} from "./field-plan";
import { column, cursor, denied, globalId } from "./sql-values";
import { type Fragment, guard, join, NotPlannable, type PlanInput, predicate, q, value } from "./statement";

/**
 * Compiles a query operation's selection into one statement whose single row is the response's
 * `data` as JSON text, built by PostgreSQL. Response keys, their order, field merging, fragments
 * and `@skip`/`@include` follow graphql-js' collectFields, so the JSON has the executor's shape.
 * Anything outside the planned types throws NotPlannable: the executor answers instead.
 */

/** json_build_object takes at most 100 arguments. */
const MAX_KEYS = 50;

const argumentCache = new WeakMap<PlanInput, Map<FieldNode, Record<string, unknown>>>();

/** A field's arguments for one request (memoised per request: several slots read them). */
function requestArguments(field: GraphQLField<unknown, unknown>, node: FieldNode): Arguments {
  return (input) => {
    let byNode = argumentCache.get(input);
    if (!byNode) {
      byNode = new Map();
      argumentCache.set(input, byNode);
    }
    let found = byNode.get(node);
    if (!found) {
      try {
        found = getArgumentValues(field, node, input.variables);
      } catch {
        throw new NotPlannable("arguments the executor refuses");
      }
      byNode.set(node, found);
    }
    return found;
  };
}

function objectTypeOf(type: GraphQLType): GraphQLObjectType {
  const named = getNamedType(type);
  if (!isObjectType(named)) throw new NotPlannable("not an object type");
  return named;
}

export function compileOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): Fragment {
  if (operation.operation !== "query") throw new NotPlannable("not a query");
  return new Compiler(schema, fragments, variables).operation(operation);
}

class Compiler {
  private aliases = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Record<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
  ) {}

  operation(operation: OperationDefinitionNode): Fragment {
    const queryType = this.schema.getQueryType();
    if (!queryType) throw new NotPlannable("no query type");
    const entries: Fragment[] = [];
    let planned = 0;
    for (const [key, nodes] of this.collect(queryType, [operation.selectionSet])) {
      const node = nodes[0] as FieldNode;
      const name = node.name.value;
      if (name === "__typename") {
        entries.push(typename(key, queryType));
        continue;
      }
      const field = queryType.getFields()[name];
      const plan = field ? planOf(field) : undefined;
      if (!field || (plan?.kind !== "connection" && plan?.kind !== "lookup")) throw new NotPlannable(`Query.${name}`);
      const expression =
        plan.kind === "connection"
          ? this.connection(plan, field, nodes, null)
          : this.lookup(plan, field, nodes, requestArguments(field, node));
      entries.push(q`'${[key]}', ${expression}`);
      planned += 1;
    }
    // Only `__typename`: the executor answers it without the database (health probes, cold starts).
    if (planned === 0) throw new NotPlannable("no field reads data");
    return q`select ${object(entries)}::text as data`;
  }

  private alias(): string {
    this.aliases += 1;
    return `t${this.aliases}`;
  }

  /** graphql-js' CollectFields: response keys in first-seen order, each with every node merged into it. */
  private collect(type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]): Map<string, FieldNode[]> {
    const fields = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const visit = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (!this.included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const list = fields.get(key);
          if (list) list.push(selection);
          else fields.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.applies(selection.typeCondition, type)) visit(selection.selectionSet);
        } else {
          const name = selection.name.value;
          if (visited.has(name)) continue;
          visited.add(name);
          const fragment = this.fragments[name];
          if (fragment && this.applies(fragment.typeCondition, type)) visit(fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of selectionSets) visit(selectionSet);
    return fields;
  }

  private included(node: Parameters<typeof getDirectiveValues>[1]): boolean {
    if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if !== false;
  }

  private applies(condition: Parameters<typeof typeFromAST>[1] | undefined, type: GraphQLObjectType): boolean {
    if (!condition) return true;
    const conditionType = typeFromAST(this.schema, condition);
    if (conditionType === type) return true;
    return isAbstractType(conditionType) ? this.schema.isSubType(conditionType, type) : false;
  }

  private subselections(nodes: readonly FieldNode[]): SelectionSetNode[] {
    return nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  }

  /** One row of a table-backed type as a JSON object of the selection. */
  private entity(type: GraphQLObjectType, nodes: readonly FieldNode[], row: string): Fragment {
    const table = tableOf(type);
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(type, this.subselections(nodes))) {
      const node = fieldNodes[0] as FieldNode;
      const name = node.name.value;
      if (name === "__typename") {
        entries.push(typename(key, type));
        continue;
      }
      const field = type.getFields()[name];
      if (!field) throw new NotPlannable(`${type.name}.${name}`);
      if (isNodeId(type, name) && table.id) {
        entries.push(q`'${[key]}', ${[globalId(type.name, column(row, table.id.name))]}`);
        continue;
      }
      const plan = plannable(type, field);
      const expression =
        plan.kind === "scalar"
          ? formatted(field, plan.sql(row))
          : plan.kind === "relation"
            ? this.relation(plan, type, field, fieldNodes, row)
            : plan.kind === "embedded"
              ? this.embedded(plan, field, fieldNodes, row)
              : plan.kind === "connection"
                ? this.connection(plan, field, fieldNodes, { type, row })
                : notPlannable(type, field);
      entries.push(q`'${[key]}', ${expression}`);
    }
    return object(entries);
  }

  private relation(
    plan: RelationPlan,
    parentType: GraphQLObjectType,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    parent: string,
  ): Fragment {
    const row = this.alias();
    const targetType = objectTypeOf(field.type);
    const json = checked(this.entity(targetType, nodes, row), plan.check?.(row));
    const on = joinCondition(parentType, plan.via ?? field.name, row, parent);
    return q`(select ${json} from ${[tableOf(targetType).name]} ${[row]} where ${[on]})`;
  }

  private embedded(
    plan: EmbeddedPlan,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    parent: string,
  ): Fragment {
    const element = this.alias();
    const type = objectTypeOf(field.type);
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(type, this.subselections(nodes))) {
      const name = (fieldNodes[0] as FieldNode).name.value;
      const elementField = type.getFields()[name];
      if (name === "__typename") {
        entries.push(typename(key, type));
        continue;
      }
      const elementPlan = elementField ? plannable(type, elementField) : undefined;
      if (!elementField || elementPlan?.kind !== "scalar") throw new NotPlannable(`${type.name}.${name}`);
      entries.push(q`'${[key]}', ${formatted(elementField, elementPlan.sql(element))}`);
    }
    return q`(select coalesce(json_agg(${object(entries)} order by ${[plan.order(element)]}), '[]'::json) from ${[plan.from(parent, element)]})`;
  }

  private lookup(
    plan: LookupPlan,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    args: Arguments,
  ) {
    const row = this.alias();
    const targetType = objectTypeOf(field.type);
    const table = tableOf(targetType);
    if (!table.id) throw new NotPlannable(`${targetType.name} has no id`);
    const json = checked(this.entity(targetType, nodes, row), plan.check?.(row));
    const id = value((input) => idArgument(args(input).id, targetType.name));
    return q`(select ${json} from ${[table.name]} ${[row]} where ${[column(row, table.id.name)]} = ${id}::bigint)`;
  }

  /**
   * A relay connection as plugin-drizzle pages it: `limit` = size + 1 rows in the ordering (the
   * extra row says whether another page exists), keyset conditions from `after`/`before`, `last`
   * reading the ordering backwards and answering in forward order.
   */
  private connection(
    plan: ConnectionPlan,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    parent: { type: GraphQLObjectType; row: string } | null,
  ): Fragment {
    const node = nodes[0] as FieldNode;
    const args = requestArguments(field, node);
    let structure: Record<string, unknown>;
    try {
      structure = getArgumentValues(field, node, this.variables);
    } catch {
      throw new NotPlannable("arguments the executor refuses");
    }
    if (structure.first != null && structure.last != null) throw new NotPlannable("first and last");
    const backward = structure.first == null && structure.last != null;
    const ordering = plan.ordering(structure);
    const orderChoice = guard((input) => String(args(input).orderBy ?? ""));
    const connectionType = objectTypeOf(field.type);
    const target = nodeTypeOf(connectionType);
    const tableName = tableOf(target).name;
    const where = (child: string): Fragment => {
      const rows = plan.where(child, args);
      if (!parent) return rows;
      return q`${[joinCondition(parent.type, plan.via ?? field.name, child, parent.row)]} and ${rows}`;
    };
    const row = this.alias();
    const size = (input: PlanInput) => {
      const { first, last } = args(input) as { first?: number | null; last?: number | null };
      if ((first != null && first < 0) || (last != null && last < 0)) throw new NotPlannable("negative page size");
      return Math.min(first ?? last ?? connectionPageSizes.default, connectionPageSizes.max);
    };
    const orderBy = ordering
      .map((entry) => `${column(row, entry.column.name)} ${backward ? flip(entry.direction) : entry.direction}`)
      .join(", ");
    const keyset = predicate((input) => {
      const { after, before } = args(input) as { after?: string | null; before?: string | null };
      const aliased = aliasColumns(ordering, row);
      return (
        and(
          after ? keysetCondition(aliased, ordering, after, "after") : undefined,
          before ? keysetCondition(aliased, ordering, before, "before") : undefined,
        ) ?? sql`true`
      );
    });
    const outputOrder = backward ? `"__n" desc` : `"__n"`;
    const inPage = q`filter (where "__n" <= ${value(size)}::int)`;
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(connectionType, this.subselections(nodes))) {
      const name = (fieldNodes[0] as FieldNode).name.value;
      const connectionField = connectionType.getFields()[name];
      if (name === "__typename") entries.push(typename(key, connectionType));
      else if (name === "totalCount") {
        const counted = this.alias();
        entries.push(q`'${[key]}', (select count(*) from ${[tableName]} ${[counted]} where ${where(counted)})`);
      } else if ((name === "edges" || name === "nodes") && connectionField) {
        const item =
          name === "nodes"
            ? this.entity(target, fieldNodes, row)
            : this.edge(target, objectTypeOf(connectionField.type), fieldNodes, row, ordering);
        entries.push(q`'${[key]}', coalesce(json_agg(${item} order by ${[outputOrder]}) ${inPage}, '[]'::json)`);
      } else if (name === "pageInfo" && connectionField) {
        entries.push(
          q`'${[key]}', ${this.pageInfo(objectTypeOf(connectionField.type), fieldNodes, row, ordering, outputOrder, inPage, args, size)}`,
        );
      } else throw new NotPlannable(`${connectionType.name}.${name}`);
    }
    // Numbered after the limit: a window over the whole filtered table would sort all of it,
    // where `order by … limit` alone is an index scan or a top-N sort.
    const limited = q`select ${[row]}.* from ${[tableName]} ${[row]} where ${where(row)} and ${keyset} order by ${[orderBy]} limit ${value((input) => size(input) + 1)}::int`;
    const page = q`select ${[row]}.*, row_number() over (order by ${[orderBy]}) as "__n" from (${limited}) ${[row]}`;
    // `group by ()`: one row even when only constants are selected (`__typename`) or the page is empty.
    return q`(select ${object(entries)} from (${page}) ${[row]} group by ()${orderChoice})`;
  }

  private edge(
    target: GraphQLObjectType,
    edgeType: GraphQLObjectType,
    nodes: readonly FieldNode[],
    row: string,
    ordering: OrderColumn[],
  ): Fragment {
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(edgeType, this.subselections(nodes))) {
      const name = (fieldNodes[0] as FieldNode).name.value;
      const field = edgeType.getFields()[name];
      if (name === "__typename") entries.push(typename(key, edgeType));
      else if (name === "cursor") entries.push(q`'${[key]}', ${[cursorOf(ordering, row)]}`);
      else if (name === "node" && field) {
        entries.push(q`'${[key]}', ${this.entity(target, fieldNodes, row)}`);
      } else throw new NotPlannable(`${edgeType.name}.${name}`);
    }
    return object(entries);
  }

  private pageInfo(
    type: GraphQLObjectType,
    nodes: readonly FieldNode[],
    row: string,
    ordering: OrderColumn[],
    outputOrder: string,
    inPage: Fragment,
    args: Arguments,
    size: (input: PlanInput) => number,
  ): Fragment {
    const full = q`count(*) = ${value((input) => size(input) + 1)}::int`;
    const flag = (read: (a: Record<string, unknown>) => boolean) => value((input) => read(args(input)));
    const cursors = q`(json_agg(${[cursorOf(ordering, row)]} order by ${[outputOrder]}) ${inPage})`;
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(type, this.subselections(nodes))) {
      const name = (fieldNodes[0] as FieldNode).name.value;
      let expression: Fragment;
      switch (name) {
        case "__typename":
          entries.push(typename(key, type));
          continue;
        case "hasNextPage":
          // plugin-drizzle: `before` → true; paging backwards → false; else whether the extra row came.
          expression = q`case when ${flag((a) => Boolean(a.before))}::boolean then true when ${flag((a) => a.first == null && a.last != null)}::boolean then false else ${full} end`;
          break;
        case "hasPreviousPage":
          expression = q`case when ${flag((a) => Boolean(a.after))}::boolean then true when ${flag((a) => a.first == null && a.last != null)}::boolean then ${full} else false end`;
          break;
        case "startCursor":
          expression = q`${cursors} -> 0`;
          break;
        case "endCursor":
          expression = q`${cursors} -> -1`;
          break;
        default:
          throw new NotPlannable(`${type.name}.${name}`);
      }
      entries.push(q`'${[key]}', ${expression}`);
    }
    return object(entries);
  }
}

/** The fields of connection, edge and page-info types, which the compiler pages itself. */
export const connectionFields = {
  connection: ["edges", "nodes", "pageInfo", "totalCount"],
  edge: ["cursor", "node"],
  pageInfo: ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
} as const;

/** The node type of a connection type (its edges' `node`). */
export function nodeTypeOf(connectionType: GraphQLObjectType): GraphQLObjectType {
  const edges = connectionType.getFields().edges;
  const node = edges ? objectTypeOf(edges.type).getFields().node : undefined;
  if (!node) throw new NotPlannable(`${connectionType.name} is not a connection`);
  return objectTypeOf(node.type);
}

interface Table {
  name: string;
  /** The `id` primary key of node types (regions are keyed by code). */
  id: PgColumn | undefined;
}

const tables = new WeakMap<GraphQLObjectType, Table>();

/** The drizzle table a Pothos drizzle object type reads (plugin-drizzle's `pothosDrizzleModel`). */
function tableOf(type: GraphQLObjectType): Table {
  const known = tables.get(type);
  if (known) return known;
  const model = (type.extensions as { pothosDrizzleModel?: unknown }).pothosDrizzleModel;
  const entry = typeof model === "string" && Object.hasOwn(relations, model) ? relationsOf(model) : undefined;
  const id = entry ? (entry.table as unknown as Record<string, PgColumn | undefined>).id : undefined;
  if (!entry) throw new NotPlannable(`${type.name} is not a table`);
  const table = { name: getTableName(entry.table), id };
  tables.set(type, table);
  return table;
}

type RelationsEntry = (typeof relations)[keyof typeof relations];

function relationsOf(model: string): RelationsEntry {
  return relations[model as keyof typeof relations];
}

/** The join of a drizzle relation of the parent's table: the child's target columns = the parent's source columns. */
function joinCondition(parentType: GraphQLObjectType, via: string, child: string, parent: string): string {
  const model = (parentType.extensions as { pothosDrizzleModel?: unknown }).pothosDrizzleModel;
  const declared =
    typeof model === "string" ? (relationsOf(model).relations as Record<string, unknown>)[via] : undefined;
  const relation = declared as { sourceColumns: PgColumn[]; targetColumns: PgColumn[]; through?: unknown } | undefined;
  if (!relation || relation.through) throw new NotPlannable(`${parentType.name}: no direct relation ${via}`);
  return relation.sourceColumns
    .map(
      (source, i) => `${column(child, (relation.targetColumns[i] as PgColumn).name)} = ${column(parent, source.name)}`,
    )
    .join(" and ");
}

/** A Relay node's `id`: the global ID of the row's primary key, as plugin-relay writes it. */
function isNodeId(type: GraphQLObjectType, name: string): boolean {
  return name === "id" && type.getInterfaces().some((i) => i.name === "Node");
}

/** The field's declared plan; executor-only and undeclared fields leave the operation to the executor. */
function plannable(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): FieldPlan {
  const plan = planOf(field);
  if (!plan || plan.kind === "executor" || plan.kind === "lookup") return notPlannable(type, field);
  return plan;
}

function notPlannable(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): never {
  throw new NotPlannable(`${type.name}.${field.name}`);
}

const formats = new WeakMap<object, readonly [string, string] | null>();

/** A scalar value in its scalar's SQL format (shared/scalars.ts); enums and lists as stored. */
function formatted(field: GraphQLField<unknown, unknown>, sqlValue: Fragment): Fragment {
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  if (isListType(type) || !isScalarType(type)) return sqlValue;
  let around = formats.get(type);
  if (around === undefined) {
    const format = sqlFormatOf(type);
    const marker = "\u0000";
    const parts = format ? format(marker).split(marker) : undefined;
    around = parts?.length === 2 ? [parts[0] as string, parts[1] as string] : null;
    if (format && !around) throw new Error(`${type.name}: its SQL format must use the value once`);
    formats.set(type, around);
  }
  return around ? q`${[around[0]]}${sqlValue}${[around[1]]}` : sqlValue;
}

function typename(key: string, type: GraphQLObjectType): Fragment {
  return [`'${key}', '${type.name}'::text`];
}

function object(entries: readonly Fragment[]): Fragment {
  if (entries.length > MAX_KEYS) throw new NotPlannable("too many keys for one json_build_object");
  return q`json_build_object(${join(entries, ", ")})`;
}

function checked(json: Fragment, check: ReturnType<NonNullable<RelationPlan["check"]>> | undefined): Fragment {
  return check ? q`case when ${check} then ${json} else ${denied} end` : json;
}

function flip(direction: "asc" | "desc"): "asc" | "desc" {
  return direction === "asc" ? "desc" : "asc";
}

function cursorOf(ordering: readonly OrderColumn[], row: string): string {
  return cursor(ordering.map((entry) => entry.cursor(row)));
}

/** The ordering's columns under the page's alias, for drizzle's comparison operators. */
function aliasColumns(ordering: readonly OrderColumn[], row: string): SQL[] {
  return ordering.map((entry) => sql`${sql.identifier(row)}.${sql.identifier(entry.column.name)}`);
}

/**
 * plugin-drizzle's keyset: rows past the cursor are those where the first ordering column that
 * differs from the cursor differs in the paging direction; a cursor may cover a prefix of the
 * ordering. A cursor the executor would refuse is left to it.
 */
function keysetCondition(
  columns: readonly SQL[],
  ordering: readonly OrderColumn[],
  encoded: string,
  paging: "after" | "before",
): SQL {
  const values = drizzleCursorValues(encoded, ordering.length);
  if (!values) throw new NotPlannable("invalid cursor");
  values.forEach((cursorValue, i) => {
    if (!(ordering[i] as OrderColumn).accepts(cursorValue)) throw new NotPlannable("cursor value of another type");
  });
  const parts = values.map((cursorValue, index) => {
    const entry = ordering[index] as OrderColumn;
    const ascending = paging === "after" ? entry.direction === "asc" : entry.direction === "desc";
    const target = columns[index] as SQL;
    const compare = ascending ? gt(target, cursorValue) : lt(target, cursorValue);
    if (index === 0) return compare;
    const equal = values
      .slice(0, index)
      .map((previous, i) => (previous === null ? isNull(columns[i] as SQL) : eq(columns[i] as SQL, previous)));
    return and(...equal, compare) as SQL;
  });
  return parts.length > 1 ? (sql`(${sql.join(parts, sql` or `)})` as SQL) : (parts[0] as SQL);
}
