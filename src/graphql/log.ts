import { createHash } from "node:crypto";
import { type ExecutionResult, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context";
import type { Viewer } from "../modules/access/rules";

/**
 * One JSON object per GraphQL operation, for Workers Logs (which indexes each field of a logged
 * object): request id, operation name and type, caller role and subject, duration, SQL statements
 * sent, error codes. Never variables, never results: no NIK, name or phone reaches the log.
 */
export interface OperationLog {
  level: "info" | "warn";
  event: "graphql.operation";
  requestId: string;
  operationName: string | null;
  operationType: "query" | "mutation" | "subscription" | null;
  role: string;
  subject: string | null;
  apiKeyId: number | null;
  durationMs: number;
  statements: number;
  errorCodes: string[];
}

/**
 * A subject as logged: identity providers may use an email or phone as `sub`, which is personal
 * data; such subjects are logged as a short hash that still correlates one caller's operations.
 */
export function loggableSubject(subject: string): string {
  if (/@|\d{6,}/.test(subject)) return `sha256:${createHash("sha256").update(subject).digest("hex").slice(0, 16)}`;
  return subject;
}

function caller(viewer: Viewer): Pick<OperationLog, "role" | "subject" | "apiKeyId"> {
  if (viewer.kind === "anonymous") return { role: "ANONYMOUS", subject: null, apiKeyId: null };
  return { role: viewer.role, subject: loggableSubject(viewer.subject), apiKeyId: viewer.apiKeyId ?? null };
}

function errorCodes(result: Pick<ExecutionResult, "errors">): string[] {
  return [...new Set((result.errors ?? []).map((error) => String(error.extensions?.code ?? "GRAPHQL_ERROR")))];
}

export function useOperationLog(): Plugin<Context, Context> {
  const operations = new WeakMap<
    object,
    { startedAt: number; type: OperationLog["operationType"]; name: string | null }
  >();
  return {
    onParams({ context, params }) {
      operations.set(context, { startedAt: performance.now(), type: null, name: params.operationName ?? null });
    },
    onExecute({ args }) {
      const operation = operations.get(args.contextValue as object);
      const ast = getOperationAST(args.document, args.operationName);
      if (operation && ast) {
        operation.type = ast.operation;
        operation.name ??= ast.name?.value ?? null;
      }
    },
    onExecutionResult({ context, result }) {
      const operation = operations.get(context);
      if (!operation || !result || Symbol.asyncIterator in result) return;
      const codes = errorCodes(result);
      const entry: OperationLog = {
        level: codes.includes("INTERNAL_SERVER_ERROR") ? "warn" : "info",
        event: "graphql.operation",
        requestId: context.requestId,
        operationName: operation.name,
        operationType: operation.type,
        ...caller(context.viewer),
        durationMs: Math.round((performance.now() - operation.startedAt) * 10) / 10,
        statements: context.statements(),
        errorCodes: codes,
      };
      context.log(entry);
    },
  };
}
