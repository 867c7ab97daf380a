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

/** Why a caller was turned away: no acceptable credential, not allowed, or over their rate. */
export type AccessRefusal = "UNAUTHENTICATED" | "FORBIDDEN" | "RATE_LIMITED";

const httpStatusOf = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429 } as const;

/**
 * The one access error: thrown by services and schema scopes alike, answered by Yoga as a GraphQL
 * error with its code, by `app.onError` with its HTTP status, and audited when a mutation is refused.
 */
export class AccessDenied extends GraphQLError {
  constructor(
    readonly refusal: AccessRefusal,
    message: string,
    /** What the caller reached for (`participant:42`), for the audit row. */
    readonly target?: string,
  ) {
    super(message, { extensions: { code: refusal } });
    this.name = "AccessDenied";
  }

  get httpStatus(): 401 | 403 | 429 {
    return httpStatusOf[this.refusal];
  }
}

/** The AccessDenied behind an error, however graphql-js wrapped it. */
export function accessDeniedIn(error: unknown): AccessDenied | null {
  for (let current = error; current instanceof Error; current = (current as GraphQLError).originalError) {
    if (current instanceof AccessDenied) return current;
    if (!(current instanceof GraphQLError)) break;
  }
  return null;
}

/** An access failure that depends on the input (e.g. an officer outside their region): thrown, not returned. */
export function forbidden(message: string, target?: string): AccessDenied {
  return new AccessDenied("FORBIDDEN", `Forbidden: ${message}`, target);
}
