import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  check,
  date,
  index,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  timestamp,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";
import { type RiskLevel, riskLevels, type Segment, segments } from "../../shared/programs";
import { programEnum } from "../contributions/tables";
import { ecosystemCodeEnum, ecosystems } from "../ecosystems/tables";
import { regions } from "../regions/tables";
import { sponsors, sponsorships } from "../sponsors/tables";

export { type RiskLevel, riskLevels, type Segment, segments };
export const segmentEnum = pgEnum("segment", segments);

export const sexes = ["MALE", "FEMALE"] as const;
export type Sex = (typeof sexes)[number];
export const sexEnum = pgEnum("sex", sexes);

export const riskLevelEnum = pgEnum("risk_level", riskLevels);

/**
 * What the civil registry (Dukcapil) said of the participant's identity, the last time it was
 * asked (the identity module asks, through its queue): nothing yet, a match, a mismatch of name,
 * birth date or face, an unknown NIK, a person the registry records as deceased, or no answer
 * after every retry.
 */
export const identityStatuses = ["UNVERIFIED", "VERIFIED", "MISMATCH", "NOT_FOUND", "DECEASED", "UNAVAILABLE"] as const;
export type IdentityStatus = (typeof identityStatuses)[number];
export const identityStatusEnum = pgEnum("identity_status", identityStatuses);

export const participants = pgTable(
  "participants",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    nik: varchar("nik", { length: 16 }).notNull().unique("participants_nik_key"),
    fullName: varchar("full_name", { length: 150 }).notNull(),
    birthDate: date("birth_date", { mode: "string" }).notNull(),
    sex: sexEnum("sex").notNull(),
    /** E.164, e.g. +6281234567890. */
    phone: varchar("phone", { length: 16 }),
    segment: segmentEnum("segment").notNull(),
    occupation: varchar("occupation", { length: 120 }).notNull(),
    riskLevel: riskLevelEnum("risk_level").notNull(),
    ecosystemCode: ecosystemCodeEnum("ecosystem_code")
      .notNull()
      .references(() => ecosystems.code),
    villageCode: varchar("village_code", { length: 13 })
      .notNull()
      .references(() => regions.code),
    reportedMonthlyIncome: bigint("reported_monthly_income", { mode: "bigint" }).notNull(),
    programs: programEnum("programs").array().notNull(),
    /** Nyalakan: whoever registered this worker, when it was another participant. */
    registeredById: bigint("registered_by_id", { mode: "number" }).references((): AnyPgColumn => participants.id),
    /** Who entered the registration: a token subject or `api-key:<prefix>`. */
    registeredBySubject: varchar("registered_by_subject", { length: 128 }),
    sponsorId: bigint("sponsor_id", { mode: "number" }).references(() => sponsors.id),
    channel: varchar("channel", { length: 40 }).notNull(),
    /** First day of the last month covered by settled contributions; null until the first payment. */
    paidThrough: date("paid_through", { mode: "string" }),
    /**
     * The day (WIB) the participant left membership for good (death, retirement, …): their last
     * membership's end when it ended by an exit, null while they are a member. Kept here beside
     * `paid_through` so every status filter stays on this table; the membership says why.
     */
    exitedOn: date("exited_on", { mode: "string" }),
    /** A duplicate record merged into another (duplicate review): the record that holds the person now. */
    mergedIntoId: bigint("merged_into_id", { mode: "number" }).references((): AnyPgColumn => participants.id),
    /** Kept here, beside the columns policies filter on (referral credit, sponsor batches). */
    identityStatus: identityStatusEnum("identity_status").notNull().default("UNVERIFIED"),
    registeredAt: timestamp("registered_at", { withTimezone: true, mode: "string" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    check("participants_nik_format", sql`${t.nik} ~ '^[0-9]{16}$'`),
    check("participants_income", sql`${t.reportedMonthlyIncome} >= 0`),
    check("participants_programs", sql`cardinality(${t.programs}) > 0`),
    check("participants_paid_through_month", sql`extract(day from ${t.paidThrough}) = 1`),
    check("participants_phone_format", sql`${t.phone} ~ '^\\+[1-9][0-9]{7,14}$'`),
    // Prefix search on any region level (`31.71%`) needs pattern ops under a non-C collation.
    index("participants_village_idx").on(t.villageCode.op("text_pattern_ops"), t.id),
    index("participants_ecosystem_idx").on(t.ecosystemCode, t.id),
    // Status is a range on paid_through against today, so this index serves every status filter.
    index("participants_paid_through_idx").on(t.paidThrough, t.id),
    // Outreach work lists, in their order (month, village, id): each listed month narrowed to the
    // caller's region prefix, so a page reads its own entries. Pattern ops for the prefix, as above.
    index("participants_paid_through_village_idx").on(t.paidThrough, t.villageCode.op("text_pattern_ops"), t.id),
    // The other branch of every non-ADMIN visibility (`registered_by_subject = me OR ...`): without it
    // the OR cannot be a BitmapOr and PostgreSQL scans the table; work lists read it as a part of its
    // own. Partial: most rows have no subject.
    index("participants_registered_by_subject_idx")
      .on(t.registeredBySubject, t.paidThrough, t.id)
      .where(sql`${t.registeredBySubject} is not null`),
    index("participants_sponsor_idx").on(t.sponsorId, t.id),
    // A sponsor's work lists: its workers' paid-through months as an index range, in list order (a
    // Sertakan sponsor may cover tens of thousands). Partial: most workers pay for themselves.
    index("participants_sponsor_paid_through_idx")
      .on(t.sponsorId, t.paidThrough, t.villageCode.op("text_pattern_ops"), t.id)
      .where(sql`${t.sponsorId} is not null`),
    index("participants_registered_by_idx").on(t.registeredById, t.id),
    // Duplicate review: one phone on several workers. Partial: many have no phone.
    index("participants_phone_idx").on(t.phone).where(sql`${t.phone} is not null`),
    index("participants_registered_at_idx").on(t.registeredAt, t.id),
    index("participants_name_search_idx").on(sql`lower(${t.fullName}) text_pattern_ops`),
    // The duplicate rule "same name and birth date": a new registration's namesakes born the same
    // day, probed per registration rather than by hashing every participant (a full scan a step).
    index("participants_namesake_idx").on(sql`lower(${t.fullName})`, t.birthDate),
    // Masked NIKs show the last four digits, so that is what callers without pii:read search by.
    index("participants_nik_suffix_idx").on(sql`right(${t.nik}, 4)`),
  ],
);

/**
 * Which workers a sponsorship covers (Sertakan): a worker may be covered by several over time. Kept
 * with the participant (as `sponsor_id` is): the participant's own rules read it (a sponsored
 * worker's programs are what the sponsorships pay), and enrollments and payments build on it.
 */
export const sponsorshipEnrollments = pgTable(
  "sponsorship_enrollments",
  {
    sponsorshipId: bigint("sponsorship_id", { mode: "number" })
      .notNull()
      .references(() => sponsorships.id),
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    enrolledAt: timestamp("enrolled_at", { withTimezone: true, mode: "string" }).notNull(),
    /** The day the sponsorship stopped covering the worker (hired: a move to PU); null while it does. */
    endedOn: date("ended_on", { mode: "string" }),
  },
  (t) => [
    primaryKey({ columns: [t.sponsorshipId, t.participantId] }),
    index("sponsorship_enrollments_participant_idx").on(t.participantId),
  ],
);

/** Serials of KPJ numbers: a sequence, so a number is never given twice, even after a rollback. */
export const kpjSerial = pgSequence("kpj_serial", { startWith: 1, minValue: 1, maxValue: 9_999_999_999, cache: 1 });

/**
 * Why a membership ended. A move between segments (BPU → PU when hired, PU → BPU when the job ends)
 * ends one membership and opens the next. The others are the law's exits: death (JKM, PP 82/2019),
 * retirement age 56, permanent total disability and leaving Indonesia for good (JHT, Permenaker
 * 4/2022), a BPU member's own stop, and a duplicate record merged into another.
 */
export const membershipEndReasons = [
  "MOVED_SEGMENT",
  "DEATH",
  "RETIREMENT_AGE",
  "PERMANENT_TOTAL_DISABILITY",
  "LEFT_INDONESIA",
  "VOLUNTARY_STOP",
  "DUPLICATE",
] as const;
export type MembershipEndReason = (typeof membershipEndReasons)[number];
export const membershipEndReasonEnum = pgEnum("membership_end_reason", membershipEndReasons);

/** Why a membership opened: a registration, a move from the other segment, or a former member's return. */
export const membershipOpenReasons = ["REGISTRATION", "MOVED_SEGMENT", "RETURN"] as const;
export type MembershipOpenReason = (typeof membershipOpenReasons)[number];
export const membershipOpenReasonEnum = pgEnum("membership_open_reason", membershipOpenReasons);

/**
 * A participant's memberships over a working life (one person, one NIK, many memberships), each with
 * its own KPJ number (src/modules/participants/kpj.ts). Registration opens the first: a trigger on
 * `participants` (src/db/functions/participants_first_membership.sql), so every way in (GraphQL,
 * Nyalakan, a sponsor's CSV) opens one in the same statement.
 */
export const memberships = pgTable(
  "memberships",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    participantId: bigint("participant_id", { mode: "number" })
      .notNull()
      .references(() => participants.id),
    kpj: varchar("kpj", { length: 11 })
      .notNull()
      .unique("memberships_kpj_key")
      .default(sql`kpj_for(nextval('kpj_serial'))`),
    segment: segmentEnum("segment").notNull(),
    programs: programEnum("programs").array().notNull(),
    /** PU only: the employer and its registration number with the agency. */
    employerName: varchar("employer_name", { length: 150 }),
    employerRegistrationNumber: varchar("employer_registration_number", { length: 40 }),
    /** WIB dates. */
    startedOn: date("started_on", { mode: "string" }).notNull(),
    openReason: membershipOpenReasonEnum("open_reason").notNull().default("REGISTRATION"),
    endedOn: date("ended_on", { mode: "string" }),
    endReason: membershipEndReasonEnum("end_reason"),
    /** A death's JKM claim at the agency (PP 82/2019), when the officer recording it has one. */
    jkmClaimReference: varchar("jkm_claim_reference", { length: 60 }),
  },
  (t) => [
    check("memberships_kpj_format", sql`${t.kpj} ~ '^[0-9]{11}$'`),
    check("memberships_programs", sql`cardinality(${t.programs}) > 0`),
    check("memberships_employer_pu_only", sql`${t.segment} = 'PU' or ${t.employerName} is null`),
    check("memberships_ended_after_start", sql`${t.endedOn} is null or ${t.endedOn} >= ${t.startedOn}`),
    check("memberships_end_reason", sql`(${t.endedOn} is null) = (${t.endReason} is null)`),
    // One open membership per segment: a second one is refused by the database, whatever the path.
    uniqueIndex("memberships_open_segment_key").on(t.participantId, t.segment).where(sql`${t.endedOn} is null`),
    index("memberships_participant_idx").on(t.participantId, t.startedOn, t.id),
    // The dashboard's changes by month: exits and moves by the day they ended, returns by the day
    // they began. Partial: most memberships are open, and most opened at registration.
    index("memberships_ended_on_idx").on(t.endedOn).where(sql`${t.endReason} is not null`),
    index("memberships_returns_idx").on(t.startedOn).where(sql`${t.openReason} = 'RETURN'`),
  ],
);
