import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context";
import { mutationOf, recordRefusals, refusalsOf } from "../modules/audit/refusals";
import { noteMutationRan } from "../shared/request-scope";

/**
 * Audits every mutation field refused with an access error (scopes, services), after execution;
 * and notes that the request ran a mutation (whose events the app relays right after it).
 */
export function useRefusalAudit(): Plugin<Context> {
  return {
    onExecute({ args }) {
      const operation = mutationOf(args.document, args.operationName);
      if (!operation) return;
      noteMutationRan();
      return {
        async onExecuteDone({ result }) {
          const errors = (result as ExecutionResult).errors;
          if (!errors?.length) return;
          const context = args.contextValue;
          const refusals = refusalsOf(args.schema, operation, args.variableValues ?? undefined, errors);
          if (refusals.length > 0)
            await recordRefusals(context.db, context.viewer, context.requestId, refusals, context.clock.now());
        },
      };
    },
  };
}
