import {
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  getOperationAST,
  getVariableValues,
  Kind,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context";
import { isDataException } from "../db/errors";
import { rowsOf } from "../db/rows";
import { PlanCache } from "./cache";
import { compileOperation } from "./compile";
import { DENIED_MARK } from "./sql-values";
import { type BoundStatement, bindStatement, compileStatement, NotPlannable, type PlanInput } from "./statement";

const cache = new PlanCache(1_000);
const statistics = { compiled: 0, reused: 0, answered: 0 };

/**
 * How often an operation was compiled, how often a cached statement was reused, and how many
 * operations the planner answered (tests read them).
 */
export function readPlanStatistics(): Readonly<typeof statistics> {
  return { ...statistics };
}

/**
 * The read planner (docs/contributors.md "The read path"): a query whose whole selection it knows is answered
 * by one SQL statement that writes the response's JSON; anything else (mutations, fields it does
 * not know, a neighbour the caller may not see) runs on the executor, unchanged. Installed last,
 * so limits, armor, audit and the operation log see every operation either way.
 */
export function useReadPlanner(): Plugin<Context> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as Context;
      if (context.planReads === false) return;
      setExecuteFn(async (execution) => (await answerPlanned(execution, context)) ?? executeFn(execution));
    },
  };
}

async function answerPlanned(args: ExecutionArgs, context: Context): Promise<ExecutionResult | null> {
  // Every field the planner answers needs an authenticated caller (Query's type scope): the
  // executor tells anonymous callers so.
  if (context.viewer.kind !== "user") return null;
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== "query") return null;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (coerced.errors) return null;
  const input: PlanInput = { variables: coerced.coerced, viewer: context.viewer, now: context.clock.now() };
  const key = cache.key(args.document, args.operationName, args.variableValues, context.viewer);
  let statement: BoundStatement | null;
  try {
    const cached = cache.get(key);
    if (cached === null) return null;
    statement = cached ? bindStatement(cached, input) : null;
    if (statement) statistics.reused += 1;
    else {
      let fragment: ReturnType<typeof compileOperation>;
      try {
        fragment = compileOperation(args.schema, operation, fragmentsOf(args), input.variables);
      } catch (error) {
        if (error instanceof NotPlannable) cache.set(key, null);
        throw error;
      }
      const compiled = compileStatement(fragment, input);
      statistics.compiled += 1;
      cache.set(key, compiled);
      statement = bindStatement(compiled, input);
      if (!statement) return null;
    }
  } catch (error) {
    if (error instanceof NotPlannable) return null;
    throw error;
  }
  let result: unknown;
  try {
    // Through the session, so the statement is logged and counted like every other; named where
    // the connection outlives the request and keeps it prepared (PostgreSQL then plans it once).
    const name = context.preparedStatements ? statement.name : false;
    result = await context.db._.session.prepareQuery(statement, "raw", name).execute();
  } catch (error) {
    // A value PostgreSQL cannot read (SQLSTATE class 22: a forged cursor's "date", say) is the
    // caller's input: the executor answers it, field by field, with the API's own error.
    if (isDataException(error)) return null;
    throw error;
  }
  const rows = rowsOf<{ data: string }>(result);
  const text = rows[0]?.data;
  // A per-object check failed somewhere: the executor answers with its null and FORBIDDEN error.
  if (text === undefined || text.includes(DENIED_MARK)) return null;
  statistics.answered += 1;
  return plannedAnswer(text);
}

/**
 * The answer PostgreSQL wrote, sent as it wrote it: Yoga serialises a result with its `stringify`,
 * so the response body is the statement's JSON text, without a JSON.parse and a re-stringify (on
 * a page of 100, a tenth of the request's CPU). The values and their order are the executor's;
 * the spacing is PostgreSQL's (`"id" : 1, "nik" : …`). `data` is parsed only if a plugin reads it;
 * if one adds errors or extensions, the result is serialised whole, as any other.
 */
function plannedAnswer(text: string): ExecutionResult & { stringify(result: ExecutionResult): string } {
  let data: Record<string, unknown> | undefined;
  return {
    get data() {
      data ??= JSON.parse(text) as Record<string, unknown>;
      return data;
    },
    stringify: (result) => (result.errors?.length || result.extensions ? JSON.stringify(result) : `{"data":${text}}`),
  };
}

function fragmentsOf(args: ExecutionArgs): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of args.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}
