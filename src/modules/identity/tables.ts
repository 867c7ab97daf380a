import { sql } from "drizzle-orm";
import { bigint, check, index, pgEnum, pgTable, smallint, text, timestamp, unique, varchar } from "drizzle-orm/pg-core";
import { identityStatusEnum, participants } from "../participants/tables";

/**
 * Why the registry is asked: a registration (every path: a trigger on participants writes the
 * check in the same statement), or an officer's re-run. Nothing else calls it, so the registry
 * is never asked out of curiosity.
 */
export const identityCheckReasons = ["REGISTRATION", "OFFICER_RERUN"] as const;
export type IdentityCheckReason = (typeof identityCheckReasons)[number];
export const identityCheckReasonEnum = pgEnum("identity_check_reason", identityCheckReasons);

/**
 * One request to verify a participant against the civil registry, and what it decided. PENDING
 * (status UNVERIFIED, `decided_at` null) until the queue's consumer gets an answer; retried with
 * backoff while the registry is unavailable, then UNAVAILABLE. Only the decision is kept (status,
 * the fields that did not match, when, by which verifier), never the registry's reply.
 */
export const identityChecks = pgTable(
  "identity_checks",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    reason: identityCheckReasonEnum("reason").notNull(),
    /** A token subject or `api-key:<prefix>` for a re-run; null for a registration's own check. */
    requestedBy: varchar("requested_by", { length: 128 }),
    requestedAt: timestamp("requested_at", { withTimezone: true, mode: "string" }).notNull(),
    /** UNVERIFIED while pending; the decision once made. */
    status: identityStatusEnum("status").notNull().default("UNVERIFIED"),
    /** MISMATCH: which of name, birthDate and face did not match. */
    mismatchedFields: text("mismatched_fields").array(),
    attempts: smallint("attempts").notNull().default(0),
    /** When the relay may queue it (again): now for a new check, later after an unavailable registry. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "string" }),
    /** When it was last handed to the queue: the relay leaves it alone for a while after. */
    queuedAt: timestamp("queued_at", { withTimezone: true, mode: "string" }),
    verifierVersion: varchar("verifier_version", { length: 40 }),
    decidedAt: timestamp("decided_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    // The relay's sweep: pending checks by when they are due. Partial: decided checks are most.
    index("identity_checks_due_idx").on(t.nextAttemptAt, t.id).where(sql`${t.decidedAt} is null`),
    index("identity_checks_participant_idx").on(t.participantId, t.id),
    check("identity_checks_decided", sql`(${t.decidedAt} is null) = (${t.status} = 'UNVERIFIED')`),
  ],
);

/**
 * The rules that find possible duplicates (one person under two records, or records no person
 * stands behind), each a reason an officer reads:
 * - SAME_NAME_AND_BIRTH_DATE: the same normalised name and birth date under different NIKs;
 * - NIK_ONE_DIGIT_APART: the same name under NIKs one digit apart (a typo registered twice);
 * - SHARED_PHONE: one phone number on several workers (the first registered is the other);
 * - SEQUENTIAL_NIKS: a registrant's registrations whose NIKs follow one another (generated);
 * - REGISTRATION_BURST: a Nyalakan registrant's burst of registrations, more than a person
 *   registers by hand (the burst's first is the other).
 */
export const duplicateRules = [
  "SAME_NAME_AND_BIRTH_DATE",
  "NIK_ONE_DIGIT_APART",
  "SHARED_PHONE",
  "SEQUENTIAL_NIKS",
  "REGISTRATION_BURST",
] as const;
export type DuplicateRule = (typeof duplicateRules)[number];
export const duplicateRuleEnum = pgEnum("duplicate_rule", duplicateRules);

export const duplicateResolutions = ["NOT_DUPLICATE", "SAME_PERSON"] as const;
export type DuplicateResolution = (typeof duplicateResolutions)[number];
export const duplicateResolutionEnum = pgEnum("duplicate_resolution", duplicateResolutions);

/**
 * A pair of participants a rule found, for the officers of the later one's region to resolve:
 * not a duplicate, or the same person (one record kept, the other merged into it and ended as
 * DUPLICATE). Found once per pair and rule; resolved once, audited.
 */
export const duplicateCandidates = pgTable(
  "duplicate_candidates",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** The later registration of the pair. */
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    otherParticipantId: bigint("other_participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    rule: duplicateRuleEnum("rule").notNull(),
    /** The later participant's village when found: the officers whose work list it is. */
    villageCode: varchar("village_code", { length: 13 }).notNull(),
    foundAt: timestamp("found_at", { withTimezone: true, mode: "string" }).notNull(),
    resolution: duplicateResolutionEnum("resolution"),
    keptParticipantId: bigint("kept_participant_id", { mode: "number" }).references(() => participants.id),
    resolvedBy: varchar("resolved_by", { length: 128 }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    unique("duplicate_candidates_pair_key").on(t.participantId, t.otherParticipantId, t.rule),
    // Officers' open work lists: a region's unresolved candidates, oldest first.
    index("duplicate_candidates_open_idx")
      .on(t.villageCode.op("text_pattern_ops"), t.id)
      .where(sql`${t.resolvedAt} is null`),
    check("duplicate_candidates_pair", sql`${t.participantId} <> ${t.otherParticipantId}`),
    check("duplicate_candidates_resolved", sql`(${t.resolution} is null) = (${t.resolvedAt} is null)`),
  ],
);
