import { GraphQLError } from "graphql";
import type { z } from "zod";

/**
 * An expected failure, returned as data in a mutation payload (`userErrors`): which input field,
 * a stable code clients branch on, and a sentence for people.
 */
export interface UserError {
  field: string[] | null;
  code: string;
  message: string;
}

export function userError(code: string, message: string, field: string[] | null = null): UserError {
  return { field, code, message };
}

/**
 * Every zod issue as a field-addressed error under `prefix` (e.g. `["input"]`): INVALID_INPUT, or
 * the rule's own code when a refinement names one (`params: { code }`).
 */
export function zodUserErrors(error: z.ZodError, prefix: string[]): UserError[] {
  return error.issues.map((issue) => {
    const named = issue.code === "custom" ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    return userError(typeof named === "string" ? named : "INVALID_INPUT", issue.message, [
      ...prefix,
      ...issue.path.map((part) => String(part)),
    ]);
  });
}

/** An access failure that depends on the input (e.g. an officer outside their region): thrown, not returned. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(`Forbidden: ${message}`, { extensions: { code: "FORBIDDEN" } });
}
