/** How a registry answer becomes a decision; the thresholds are policy, as data. */
import type { IdentityStatus } from "../participants/tables";
import type { RegistryAnswer, VerifierResult } from "./verifier";

/**
 * A face match counts from 0.8: below it a photo is a different person often enough that an
 * officer should look. The registry's own name verdict is taken as it is (it knows its spelling
 * rules); the similarity is kept for officers reading a mismatch.
 */
export const verificationPolicy = { minFaceMatch: 0.8 } as const;

export type VerificationDecision =
  | { status: "VERIFIED" }
  | { status: "MISMATCH"; fields: ("name" | "birthDate" | "face")[] }
  | { status: "NOT_FOUND" }
  | { status: "DECEASED" };

/** The registry's answer as a decision: a death first, an unknown NIK next, then mismatched fields. */
export function decideVerification(
  answer: RegistryAnswer,
  policy: typeof verificationPolicy = verificationPolicy,
): VerificationDecision {
  if (answer.nikFound && answer.deceased) return { status: "DECEASED" };
  if (!answer.nikFound) return { status: "NOT_FOUND" };
  const fields: ("name" | "birthDate" | "face")[] = [];
  if (answer.name && !answer.name.matches) fields.push("name");
  if (answer.birthDateMatches === false) fields.push("birthDate");
  if (answer.faceMatchScore !== null && answer.faceMatchScore < policy.minFaceMatch) fields.push("face");
  return fields.length > 0 ? { status: "MISMATCH", fields } : { status: "VERIFIED" };
}

/**
 * How the registry is asked: attempts while it is unavailable and the wait before each (1 min,
 * 5 min, 30 min, 2 h, 6 h: a registry outage of a working day is ridden out), and an officer's
 * re-runs, which call an outside service on a person's data, at most 30 an hour per officer.
 */
export const identityCheckPolicy = {
  retryAfterMinutes: [1, 5, 30, 120, 360],
  reruns: { perHour: 30 },
} as const;

/** The wait before asking again after `attempts` unanswered attempts, or null when they are used up. */
export function retryDelayMinutes(attempts: number): number | null {
  return identityCheckPolicy.retryAfterMinutes[attempts - 1] ?? null;
}

/** Statuses an unreachable registry may overwrite: it never said anything of these. */
const unsettled: ReadonlySet<IdentityStatus> = new Set(["UNVERIFIED", "UNAVAILABLE"]);

export type CheckOutcome =
  | { kind: "RETRY"; attempts: number; nextAttemptAt: string }
  | {
      kind: "DECIDED";
      attempts: number;
      status: Exclude<IdentityStatus, "UNVERIFIED">;
      mismatchedFields: ("name" | "birthDate" | "face")[] | null;
      /** The participant's identity status from now on. */
      participantStatus: IdentityStatus;
    };

/**
 * What one answer (or its absence) does to a pending check: an unavailable registry is asked again
 * after the policy's wait until the attempts are used up, then the check is UNAVAILABLE; an answer
 * is decided. A registry that could not be reached says nothing new of someone it answered for
 * before, so their status stays.
 */
export function checkOutcome(
  check: { attempts: number },
  participantStatus: IdentityStatus,
  result: VerifierResult,
  now: Date,
): CheckOutcome {
  const attempts = check.attempts + 1;
  if (result.kind === "UNAVAILABLE") {
    const delay = result.retryable ? retryDelayMinutes(attempts) : null;
    if (delay !== null) {
      return { kind: "RETRY", attempts, nextAttemptAt: new Date(now.getTime() + delay * 60_000).toISOString() };
    }
    return {
      kind: "DECIDED",
      attempts,
      status: "UNAVAILABLE",
      mismatchedFields: null,
      participantStatus: unsettled.has(participantStatus) ? "UNAVAILABLE" : participantStatus,
    };
  }
  const decision = decideVerification(result.answer);
  return {
    kind: "DECIDED",
    attempts,
    status: decision.status,
    mismatchedFields: decision.status === "MISMATCH" ? decision.fields : null,
    participantStatus: decision.status,
  };
}
