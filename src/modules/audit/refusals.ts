import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
} from "graphql";
import type { Executor } from "../../db/client";
import { type AccessRefusal, accessDeniedIn } from "../../shared/errors";
import type { Viewer } from "../access/rules";
import { recordAudit } from "./store";

export interface Refusal {
  /** The mutation field (`payContribution`), or `graphql` when the request never got that far. */
  operation: string;
  refusal: AccessRefusal;
  reason: string;
  targetIds: string[];
  clientAddress?: string;
}

/**
 * A refused attempt is audited in its own statement, outside any transaction of the mutation it
 * stopped: the mutation's transaction rolls back, the record that someone tried does not.
 */
export async function recordRefusals(
  db: Executor,
  viewer: Viewer,
  requestId: string,
  refusals: readonly Refusal[],
  at: Date,
): Promise<void> {
  for (const { operation, refusal, reason, targetIds, clientAddress } of refusals) {
    await recordAudit(db, viewer, requestId, {
      operation,
      targetIds,
      outcome: "REFUSED",
      details: { code: refusal, reason, ...(clientAddress ? { clientAddress } : {}) },
      at,
    });
  }
}

/** `UGFydGljaXBhbnQ6NQ==` → `participant:5`, for any global ID among a mutation's input values. */
function targetsIn(value: unknown, found: Set<string>, depth = 0): Set<string> {
  if (depth > 3 || value === null || value === undefined) return found;
  if (typeof value === "string" && value.length <= 64) {
    let decoded = "";
    try {
      decoded = atob(value);
    } catch {
      return found;
    }
    const match = /^([A-Z][A-Za-z]{1,30}):([0-9]{1,16})$/.exec(decoded);
    if (match?.[1] && match[2]) found.add(`${match[1].toLowerCase()}:${match[2]}`);
  } else if (Array.isArray(value)) {
    // Bulk inputs (10,000 enrollment rows) name targets row by row; the first few are enough to audit.
    for (const item of value.slice(0, 10)) targetsIn(item, found, depth + 1);
  } else if (typeof value === "object") {
    for (const item of Object.values(value)) targetsIn(item, found, depth + 1);
  }
  return found;
}

/** The mutation operation a document would run, if it is one. */
export function mutationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  return operation?.operation === "mutation" ? operation : null;
}

export function refusalsOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  errors: readonly GraphQLError[],
): Refusal[] {
  const mutationType = schema.getMutationType();
  const refusals: Refusal[] = [];
  for (const error of errors) {
    const denied = accessDeniedIn(error);
    // Only refusals of a mutation field itself: a FORBIDDEN object inside a payload is a read.
    if (!denied || error.path?.length !== 1) continue;
    const responseKey = String(error.path[0]);
    const node = operation.selectionSet.selections.find(
      (selection) => selection.kind === Kind.FIELD && (selection.alias?.value ?? selection.name.value) === responseKey,
    );
    if (node?.kind !== Kind.FIELD) continue;
    const field = mutationType?.getFields()[node.name.value];
    const targets = new Set<string>(denied.target ? [denied.target] : []);
    if (field) {
      try {
        targetsIn(getArgumentValues(field, node, variables), targets);
      } catch {
        // Arguments that do not coerce were refused before execution; nothing to name.
      }
    }
    refusals.push({
      operation: node.name.value,
      refusal: denied.refusal,
      reason: denied.message,
      targetIds: [...targets],
    });
  }
  return refusals;
}
