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

/** Every zod issue as a field-addressed INVALID_INPUT error, under `prefix` (e.g. `["input"]`). */
export function zodUserErrors(error: z.ZodError, prefix: string[]): UserError[] {
  return error.issues.map((issue) =>
    userError("INVALID_INPUT", issue.message, [...prefix, ...issue.path.map((part) => String(part))]),
  );
}

/** An access failure that depends on the input (e.g. an officer outside their region): thrown, not returned. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(`Forbidden: ${message}`, { extensions: { code: "FORBIDDEN" } });
}
