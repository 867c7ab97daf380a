import { GraphQLError } from "graphql";
import type { z } from "zod";
import { type Message, render } from "./messages";

/**
 * Every code an expected failure may carry, with what it means: the `UserErrorCode` enum of the
 * schema, so clients can switch over them exhaustively. A new code is added here first.
 */
export const userErrorCodes = {
  INVALID_INPUT: "The value does not have the expected shape (length, format, range).",
  NOT_FOUND: "No such record, or none the caller may see.",
  INVALID_NIK: "The NIK is not 16 digits with a real region, birth date and serial.",
  NIK_MISMATCH: "What was given (birth date, sex, or a name for an existing worker) contradicts the NIK's record.",
  NIK_ALREADY_REGISTERED: "A participant with this NIK is registered already.",
  INVALID_PHONE: "Not an Indonesian phone number.",
  INVALID_VILLAGE: "No village has this code.",
  UNKNOWN_OCCUPATION: "Not an occupation of the `occupations` list.",
  INCOME_OUT_OF_RANGE: "The reported income is outside the segment's range.",
  PROGRAM_REQUIRED: "A program the segment must join is missing.",
  PROGRAM_NOT_ALLOWED: "A program the segment may not join.",
  INVALID_MONTHS: "A payment covers 1, 3, 6 or 12 months.",
  NOT_PRICED_MONTHLY: "The segment's contributions are not priced per month.",
  IDEMPOTENCY_KEY_REUSED: "The idempotency key was used before with a different request.",
  PAYER_NOT_SPONSOR: "The named payer does not sponsor this participant.",
  NOTHING_TO_PAY: "There is nothing to pay (no covered worker, or no amount).",
  NOT_PAYABLE: "The participant cannot be paid for now.",
  INVALID_TRANSITION: "The payment cannot move to that status from the one it has.",
  AMOUNT_MISMATCH: "The amount does not match what the payment is worth.",
  BUDGET_EXCEEDED: "The sponsorship's remaining budget does not cover this.",
  CAPACITY_EXCEEDED: "The sponsorship covers no more workers.",
  SPONSORED_ELSEWHERE: "The worker is sponsored by another sponsor.",
  SPONSORSHIP_NOT_ACTIVE: "The sponsorship's period does not include today.",
  DUPLICATE_ROW: "The same worker appears in an earlier row.",
  DUPLICATE_PROGRAM: "The same program is listed twice.",
  AGE_OUT_OF_RANGE: "The worker's age (from the NIK) is outside the limits for joining.",
  PROGRAMS_NOT_SPONSORED:
    "No longer sent: a worker may join programs their sponsorship does not pay and pay those themselves (a part); kept so code switching over these stays valid.",
  OUTSIDE_SPONSORSHIP_PERIOD: "The months would fall outside the sponsorship's period.",
  BUDGET_BELOW_SPENT: "A budget may not be set below what is already committed.",
  OUT_OF_ORDER: "The outcome arrived before the one it depends on (a refund before the settlement); retry later.",
  LIMIT_REACHED: "A per-owner limit is reached (e.g. webhook endpoints); remove one first.",
  TOO_MANY_EVENTS: "More events than one replay may send; choose a later `since`.",
  AS_OF_IN_THE_PAST:
    "No longer sent: coverageDashboard answers a past month from the kept monthly history (kept so code switching over these stays valid).",
  PARTICIPANT_EXITED: "The participant left membership for good (an exit is recorded): nothing more is paid for them.",
  INVALID_EXIT_DATE: "An exit's date is after today, or before the membership it ends began.",
  EXIT_NOT_ALLOWED:
    "The exit's reason does not apply to this member (retirement age not reached, a voluntary stop of a non-BPU membership, a claim reference without a death).",
  NOT_EXITED: "The participant has no exit of that kind to withdraw.",
  IDENTITY_NOT_VERIFIED:
    "The civil registry has not verified the worker's identity (not yet asked, a mismatch, an unknown NIK, deceased, or unavailable).",
  INVALID_MOVE:
    "The move does not apply: not between BPU and PU, to the segment the member is in, dated after today or before the membership began, or without the employer a PU membership needs.",
  PROGRAMS_SPLIT:
    "A payment's programs split JKK and JKM (which together make a month covered), or name a program the participant does not have.",
  PART_AHEAD_OF_COVERAGE:
    "A part (a payment of programs beyond JKK and JKM) tops up months whose JKK and JKM are paid: fewer such months are open than it asks for.",
} as const;

export type UserErrorCode = keyof typeof userErrorCodes;

export function isUserErrorCode(code: unknown): code is UserErrorCode {
  return typeof code === "string" && Object.hasOwn(userErrorCodes, code);
}

/**
 * An expected failure, returned as data in a mutation payload (`userErrors`): which input field,
 * a stable code clients branch on, and a sentence for people.
 */
export interface UserError {
  field: string[] | null;
  code: UserErrorCode;
  message: string;
}

/** A user error with its message in the request's language (the code stays as it is for machines). */
export function userError(code: UserErrorCode, message: Message, field: string[] | null = null): UserError {
  return { field, code, message: render(message) };
}

/**
 * Every zod issue as a field-addressed error under `prefix` (e.g. `["input"]`): INVALID_INPUT, or
 * the rule's own code when a refinement names one (`params: { code }`).
 */
export function zodUserErrors(error: z.ZodError, prefix: string[]): UserError[] {
  return error.issues.map((issue) => {
    const named = issue.code === "custom" ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    // The issue's message is in the request's language already: ours (`says`) or zod's locale.
    return {
      field: [...prefix, ...issue.path.map((part) => String(part))],
      code: isUserErrorCode(named) ? named : "INVALID_INPUT",
      message: issue.message,
    };
  });
}

/** Why a caller was turned away: no acceptable credential, not allowed, or over their rate. */
export type AccessRefusal = "UNAUTHENTICATED" | "FORBIDDEN" | "RATE_LIMITED";

/** The HTTP status a refusal is answered with outside GraphQL. */
export const httpStatusOf = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429 } as const;

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

/** Input a resolver cannot answer (a range, a combination of arguments): a top-level BAD_USER_INPUT. */
export function badUserInput(message: Message): GraphQLError {
  return new GraphQLError(render(message), { extensions: { code: "BAD_USER_INPUT" } });
}

/** An access failure that depends on the input (e.g. an officer outside their region): thrown, not returned. */
export function forbidden(message: Message, target?: string): AccessDenied {
  return new AccessDenied("FORBIDDEN", render(message), target);
}
