import { and, eq, gt, isNull, lt, type SQL, sql } from "drizzle-orm";
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
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  typeFromAST,
} from "graphql";
import { connectionPageSizes } from "../builder";
import { drizzleCursorValues } from "../shared/cursors";
import {
  type Arguments,
  type Connection,
  type EmbeddedList,
  type Entity,
  nodeTypeNames,
  type OrderColumn,
  type Relation,
  type RootLookup,
  rootFields,
} from "./entities";
import { column, cursor, denied } from "./sql-values";
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
    this.learnTypeNames(queryType);
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
      const plan = Object.hasOwn(rootFields, name) ? rootFields[name] : undefined;
      if (!field || !plan) throw new NotPlannable(`Query.${name}`);
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

  /** Type names the arguments' global IDs must carry, read from the schema rather than assumed. */
  private learnTypeNames(queryType: GraphQLObjectType) {
    const participantField = queryType.getFields().participant;
    if (!participantField) return;
    const participantType = objectTypeOf(participantField.type);
    nodeTypeNames.participant = participantType.name;
    const sponsorField = participantType.getFields().sponsor;
    if (sponsorField) nodeTypeNames.sponsor = objectTypeOf(sponsorField.type).name;
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

  /** One row of an entity as a JSON object of the selection. */
  private entity(entity: Entity, type: GraphQLObjectType, nodes: readonly FieldNode[], row: string): Fragment {
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(type, this.subselections(nodes))) {
      const node = fieldNodes[0] as FieldNode;
      const name = node.name.value;
      if (name === "__typename") {
        entries.push(typename(key, type));
        continue;
      }
      const field = type.getFields()[name];
      const plan = Object.hasOwn(entity.fields, name) ? entity.fields[name] : undefined;
      if (!field || !plan) throw new NotPlannable(`${type.name}.${name}`);
      const expression =
        plan.kind === "scalar"
          ? plan.sql(row, type.name)
          : plan.kind === "relation"
            ? this.relation(plan, field, fieldNodes, row)
            : plan.kind === "embedded"
              ? this.embedded(plan, field, fieldNodes, row)
              : this.connection(plan, field, fieldNodes, row);
      entries.push(q`'${[key]}', ${expression}`);
    }
    return object(entries);
  }

  private relation(
    plan: Relation,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    parent: string,
  ): Fragment {
    const row = this.alias();
    const target = plan.target();
    const json = checked(this.entity(target, objectTypeOf(field.type), nodes, row), plan.check?.(row));
    return q`(select ${json} from ${[target.tableName]} ${[row]} where ${plan.join(row, parent)})`;
  }

  private embedded(
    plan: EmbeddedList,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    parent: string,
  ): Fragment {
    const element = this.alias();
    const type = objectTypeOf(field.type);
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(type, this.subselections(nodes))) {
      const name = (fieldNodes[0] as FieldNode).name.value;
      const scalarPlan = Object.hasOwn(plan.fields, name) ? plan.fields[name] : undefined;
      if (name === "__typename") entries.push(typename(key, type));
      else if (scalarPlan) entries.push(q`'${[key]}', ${scalarPlan.sql(element, type.name)}`);
      else throw new NotPlannable(`${type.name}.${name}`);
    }
    return q`(select coalesce(json_agg(${object(entries)} order by ${[plan.order(element)]}), '[]'::json) from ${[plan.from(parent, element)]})`;
  }

  private lookup(
    plan: RootLookup,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    args: Arguments,
  ) {
    const row = this.alias();
    const target = plan.target();
    const json = checked(this.entity(target, objectTypeOf(field.type), nodes, row), plan.check?.(row));
    const typeName = objectTypeOf(field.type).name;
    return q`(select ${json} from ${[target.tableName]} ${[row]} where ${plan.where(row, args, typeName)})`;
  }

  /**
   * A relay connection as plugin-drizzle pages it: `limit` = size + 1 rows in the ordering (the
   * extra row says whether another page exists), keyset conditions from `after`/`before`, `last`
   * reading the ordering backwards and answering in forward order.
   */
  private connection(
    plan: Connection,
    field: GraphQLField<unknown, unknown>,
    nodes: readonly FieldNode[],
    parent: string | null,
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
    const target = plan.target();
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
    const connectionType = objectTypeOf(field.type);
    const outputOrder = backward ? `"__n" desc` : `"__n"`;
    const inPage = q`filter (where "__n" <= ${value(size)}::int)`;
    const entries: Fragment[] = [];
    for (const [key, fieldNodes] of this.collect(connectionType, this.subselections(nodes))) {
      const name = (fieldNodes[0] as FieldNode).name.value;
      const connectionField = connectionType.getFields()[name];
      if (name === "__typename") entries.push(typename(key, connectionType));
      else if (name === "totalCount") {
        const counted = this.alias();
        entries.push(
          q`'${[key]}', (select count(*) from ${[target.tableName]} ${[counted]} where ${plan.where(counted, parent, args)})`,
        );
      } else if ((name === "edges" || name === "nodes") && connectionField) {
        const item =
          name === "nodes"
            ? this.entity(target, objectTypeOf(connectionField.type), fieldNodes, row)
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
    const limited = q`select ${[row]}.* from ${[target.tableName]} ${[row]} where ${plan.where(row, parent, args)} and ${keyset} order by ${[orderBy]} limit ${value((input) => size(input) + 1)}::int`;
    const page = q`select ${[row]}.*, row_number() over (order by ${[orderBy]}) as "__n" from (${limited}) ${[row]}`;
    // `group by ()`: one row even when only constants are selected (`__typename`) or the page is empty.
    return q`(select ${object(entries)} from (${page}) ${[row]} group by ()${orderChoice})`;
  }

  private edge(
    target: Entity,
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
        entries.push(q`'${[key]}', ${this.entity(target, objectTypeOf(field.type), fieldNodes, row)}`);
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

function typename(key: string, type: GraphQLObjectType): Fragment {
  return [`'${key}', '${type.name}'::text`];
}

function object(entries: readonly Fragment[]): Fragment {
  if (entries.length > MAX_KEYS) throw new NotPlannable("too many keys for one json_build_object");
  return q`json_build_object(${join(entries, ", ")})`;
}

function checked(json: Fragment, check: ReturnType<NonNullable<Relation["check"]>> | undefined): Fragment {
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
