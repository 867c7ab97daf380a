import { builder } from "../../builder";
import { aliased, idArgument, orderingOf, plan } from "../../read-plan/field-plan";
import { column } from "../../read-plan/sql-values";
import { type Fragment, NotPlannable, type PlanInput, predicate, q } from "../../read-plan/statement";
import { countedConnection } from "../../shared/connections";
import { badUserInput } from "../../shared/errors";
import { rowId } from "../../shared/ids";
import { messageKey, msg } from "../../shared/messages";
import { ProgramEnum, RiskLevelEnum, SegmentEnum } from "../../shared/program-enums";
import { UserError } from "../../shared/user-error-type";

import { EcosystemCodeEnum } from "../ecosystems/graphql";
import { REGION_CODE } from "../regions/codes";
import { Sponsor, sponsorCheck } from "../sponsors/graphql";
import { type ParticipantFilter, participantVisibility, visibleParticipants } from "./conditions";
import {
  maskedNik,
  maskedPhone,
  maskKpj,
  maskNik,
  maskPhone,
  mayReadPersonalData,
  personalDataReadable,
} from "./masking";
import { findOccupation, occupations } from "./occupations";

type OccupationCode = (typeof occupations)[number][0];

/** The occupations list as an enum: a client can switch over it and show `name` from the occupations query. */
export const OccupationCodeEnum = builder.enumType("OccupationCode", {
  description: "An occupation informal workers register with; its JKK risk level is in the description.",
  values: Object.fromEntries(
    occupations.map(([code, name, riskLevel]) => [code, { description: `${name} (risk ${riskLevel})` }]),
  ) as Record<OccupationCode, { description: string }>,
});

import { type ExitReason, exitReasonSources, exitReasons } from "./exit-reasons";
import { parseKpj } from "./kpj";
import {
  hasExited,
  monthsInArrears,
  monthsInArrearsSql,
  nextDueDate,
  participantStatus,
  participantStatuses,
  statusCondition,
} from "./rules";
import {
  type RegisterParticipantResult,
  registerParticipant,
  type UpdateParticipantResult,
  updateParticipant,
} from "./service";
import { countParticipants, referralTallies } from "./store";
import {
  identityStatuses,
  membershipEndReasons,
  membershipOpenReasons,
  participants,
  type RiskLevel,
  sexes,
} from "./tables";
import type { RegisterParticipantInput as RegisterParticipantServiceInput } from "./validation";
import { showParticipant } from "./visibility";

export const SexEnum = builder.enumType("Sex", { values: sexes });
export const IdentityStatusEnum = builder.enumType("IdentityStatus", { values: identityStatuses });
export const ParticipantStatusEnum = builder.enumType("ParticipantStatus", {
  description:
    "PENDING never paid; ACTIVE paid through the current month; GRACE one or two months unpaid; INACTIVE three or more (protection stopped); EXITED left membership for good (death, retirement age, permanent total disability, leaving Indonesia, a BPU member's own stop or a duplicate record), whatever was paid.",
  values: participantStatuses,
});

/** The read planner's SQL for the participant fields that are more than a column. */
const personal = (row: string) => predicate((input) => personalDataReadable(aliased(participants, row), input.viewer));
const participantColumn = (row: string, name: keyof typeof participants.$inferSelect) =>
  column(row, participants[name].name);

/** The status rule in SQL: the same branches as `participantStatus`, one per status. */
const statusSql = (row: string): Fragment => {
  const holds = (input: PlanInput, status: (typeof participantStatuses)[number]) => {
    const table = aliased(participants, row);
    return statusCondition(table.paidThrough, hasExited(table), status, input.now);
  };
  const branches = participantStatuses.map(
    (status) => q`when ${predicate((input) => holds(input, status))} then '${[status]}'`,
  );
  return q`case ${branches.flat()} end`;
};

/** `findOccupation` in SQL: the registered name (or code), case-insensitively, to its code. */
const occupationCodeSql = (row: string): string => {
  const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const keys = new Map<string, string>();
  for (const [code, name] of occupations) {
    keys.set(code.toLowerCase(), code);
    keys.set(name.toLowerCase(), code);
  }
  const branches = [...keys].map(([key, code]) => `when ${quoted(key)} then ${quoted(code)}`);
  return `case lower(btrim(${participantColumn(row, "occupation")})) ${branches.join(" ")} end`;
};

/** A participant another row names, seen only by whoever may see them (else null + FORBIDDEN). */
export const participantCheck = (row: string) =>
  predicate((input) => participantVisibility(aliased(participants, row), input.viewer));

export const Participant = builder.drizzleNode("participants", {
  name: "Participant",
  description: "A worker enrolled in BPJS Ketenagakerjaan programs.",
  id: { column: (participant) => participant.id },
  // Every path to a participant (lists, node, relations) passes this row-level check, once per
  // object; a participant that passes authorises the records reached through it (its payments).
  authScopes: (participant, ctx) => showParticipant(ctx, participant),
  // Participants are always loaded whole (no type-level select), so fields read the row directly:
  // `expose` and column selects would route each field of each row through plugin-drizzle's
  // selection bookkeeping, about a quarter of the CPU of a 100-participant page.
  fields: (t) => ({
    nik: t.string({
      description:
        "16-digit national ID number (NIK). Without `pii:read` (and not the worker themself) only the province and regency digits: `3171************`.",
      resolve: (participant, _args, { viewer }) =>
        mayReadPersonalData(viewer, participant) ? participant.nik : maskNik(participant.nik),
      extensions: plan.expression(
        (row) =>
          q`case when ${personal(row)} then ${[participantColumn(row, "nik")]} else ${predicate(() => maskedNik(aliased(participants, row).nik))} end`,
      ),
    }),
    fullName: t.string({ resolve: (row) => row.fullName, extensions: plan.column(participants.fullName) }),
    birthDate: t.field({
      type: "Date",
      nullable: true,
      description:
        "Null without `pii:read` (unless the worker themself): with the district, an exact date would leave only the NIK's serial to guess. See `birthYear`.",
      resolve: (row, _args, { viewer }) => (mayReadPersonalData(viewer, row) ? row.birthDate : null),
      extensions: plan.expression(
        (row) => q`case when ${personal(row)} then ${[participantColumn(row, "birthDate")]} end`,
      ),
    }),
    birthYear: t.int({
      description: "The year of birth, shown to every caller who may see the worker.",
      resolve: (row) => Number(row.birthDate.slice(0, 4)),
      extensions: plan.expression((row) => [`extract(year from ${participantColumn(row, "birthDate")})::int`]),
    }),
    sex: t.field({ type: SexEnum, resolve: (row) => row.sex, extensions: plan.column(participants.sex) }),
    phone: t.string({
      nullable: true,
      description: "E.164, e.g. +6281234567890; masked without `pii:read`.",
      resolve: (participant, _args, { viewer }) =>
        participant.phone === null || mayReadPersonalData(viewer, participant)
          ? participant.phone
          : maskPhone(participant.phone),
      extensions: plan.expression((row) => {
        const phone = participantColumn(row, "phone");
        return q`case when ${[phone]} is null or ${personal(row)} then ${[phone]} else ${predicate(() => maskedPhone(aliased(participants, row).phone))} end`;
      }),
    }),
    segment: t.field({
      type: SegmentEnum,
      resolve: (row) => row.segment,
      extensions: plan.column(participants.segment),
    }),
    occupation: t.string({
      description: "The occupation's name as registered (see occupationCode for the code).",
      resolve: (row) => row.occupation,
      extensions: plan.column(participants.occupation),
    }),
    occupationCode: t.field({
      type: OccupationCodeEnum,
      nullable: true,
      description: "The occupation's code; null only for an occupation no longer on the list.",
      resolve: (row) => (findOccupation(row.occupation)?.code as OccupationCode | undefined) ?? null,
      extensions: plan.expression((row) => [occupationCodeSql(row)]),
    }),
    riskLevel: t.field({
      type: RiskLevelEnum,
      resolve: (row) => row.riskLevel,
      extensions: plan.column(participants.riskLevel),
    }),
    reportedMonthlyIncome: t.field({
      type: "Rupiah",
      resolve: (row) => row.reportedMonthlyIncome,
      extensions: plan.column(participants.reportedMonthlyIncome),
    }),
    programs: t.field({
      type: [ProgramEnum],
      resolve: (row) => row.programs,
      extensions: plan.column(participants.programs),
    }),
    channel: t.field({
      type: "RegistrationChannel",
      description: "Where the worker was registered, e.g. JMO, PARTNER, OFFICE.",
      resolve: (row) => row.channel,
      extensions: plan.column(participants.channel),
    }),
    registeredAt: t.field({
      type: "DateTime",
      resolve: (row) => row.registeredAt,
      extensions: plan.column(participants.registeredAt),
    }),
    paidThrough: t.field({
      type: "Month",
      nullable: true,
      description: "The last month covered by settled contributions.",
      resolve: (row) => row.paidThrough,
      extensions: plan.column(participants.paidThrough),
    }),
    identityStatus: t.field({
      type: IdentityStatusEnum,
      description:
        "What the civil registry (Dukcapil) said of this identity: UNVERIFIED until it answers (registration never waits), then VERIFIED, MISMATCH, NOT_FOUND, DECEASED, or UNAVAILABLE after every retry.",
      resolve: (row) => row.identityStatus,
      extensions: plan.column(participants.identityStatus),
    }),
    exitedOn: t.field({
      type: "Date",
      nullable: true,
      description: "The day the participant left membership for good (see memberships for why); null while a member.",
      resolve: (row) => row.exitedOn,
      extensions: plan.column(participants.exitedOn),
    }),
    status: t.field({
      type: ParticipantStatusEnum,
      resolve: (participant, _args, ctx) => participantStatus(participant, ctx.clock.now()),
      extensions: plan.expression(statusSql),
    }),
    monthsInArrears: t.int({
      nullable: true,
      description: "Unpaid months up to and including the current one; null before the first payment.",
      resolve: (participant, _args, ctx) => monthsInArrears(participant.paidThrough, ctx.clock.now()),
      extensions: plan.expression((row) => [
        predicate((input) => monthsInArrearsSql(aliased(participants, row).paidThrough, input.now)),
      ]),
    }),
    ecosystem: t.relation("ecosystem", { extensions: plan.relation() }),
    region: t.relation("village", {
      description: "The village where the worker lives.",
      extensions: plan.relation({ via: "village" }),
    }),
    sponsor: t.relation("sponsor", {
      nullable: true,
      type: Sponsor,
      extensions: plan.relation({
        check: sponsorCheck,
      }),
    }),
    registeredBy: t.relation("registeredBy", {
      nullable: true,
      description: "Nyalakan: the participant who registered this worker.",
      extensions: plan.relation({ check: participantCheck }),
    }),
    nextDueDate: t.field({
      type: "Date",
      description: "When the next unpaid month's contribution is due (the 15th of that month).",
      resolve: (participant) => nextDueDate(participant.paidThrough, participant.registeredAt),
      extensions: plan.executorOnly("the due-date rule (15th of the next unpaid month) has no SQL twin yet"),
    }),
  }),
});

/** Every list of participants is one connection type: `ParticipantConnection` of `ParticipantEdge`. */
export const ParticipantConnection = countedConnection("ParticipantConnection", Participant);

// Added after the node, because it lists participants through the shared connection type.
builder.drizzleObjectFields(Participant, (t) => ({
  referrals: t.relatedConnection(
    "referrals",
    {
      description: "Nyalakan: the workers this participant registered, newest first.",
      query: (_args, ctx) => ({
        where: { RAW: (table) => participantVisibility(table, ctx.viewer) },
        orderBy: { registeredAt: "desc" },
      }),
      totalCount: true,
      extensions: plan.executorOnly("referral lists are rare and not on the page's path"),
    },
    ParticipantConnection,
  ),
}));

/** The search's bounds: the input's validation, and the read planner's check of it. */
const searchLength = { min: 2, max: 100 } as const;

export const ParticipantFilterInput = builder.inputType("ParticipantFilter", {
  fields: (t) => ({
    ecosystem: t.field({ type: EcosystemCodeEnum }),
    status: t.field({ type: ParticipantStatusEnum }),
    identityStatus: t.field({
      type: IdentityStatusEnum,
      description: "What the civil registry said: DECEASED lists the deaths an officer should confirm (recordExit).",
    }),
    segment: t.field({ type: SegmentEnum }),
    regionCode: t.string({
      description: "Any region level: province `31`, regency `31.71`, district `31.71.01` or village.",
      validate: { regex: [REGION_CODE, { message: messageKey("BAD_USER_INPUT.regionCode") }] },
    }),
    sponsorId: t.globalID({ for: Sponsor }),
    registeredFrom: t.field({ type: "Date" }),
    registeredTo: t.field({ type: "Date" }),
    search: t.string({
      description:
        "A name prefix (case-insensitive); with `pii:read` also the last 4 digits of a NIK or a full NIK. Without it, digits match no one: a NIK search would reveal the digits masking hides.",
      validate: {
        minLength: [searchLength.min, { message: messageKey("BAD_USER_INPUT.search") }],
        maxLength: searchLength.max,
      },
    }),
  }),
});

/**
 * Each ParticipantOrder value's drizzle ordering: one table the enum's values, the resolver and the
 * read planner all read, so a new value is sorted the same way by both.
 */
export const participantOrderings = {
  REGISTERED_AT_DESC: { registeredAt: "desc" },
  REGISTERED_AT_ASC: { registeredAt: "asc" },
  FULL_NAME_ASC: { fullName: "asc" },
  FULL_NAME_DESC: { fullName: "desc" },
} as const;

const ParticipantOrder = builder.enumType("ParticipantOrder", {
  values: Object.keys(participantOrderings) as (keyof typeof participantOrderings)[],
});

type FilterArg = typeof ParticipantFilterInput.$inferInput | null | undefined;

/**
 * The filter argument as the read planner receives it (global IDs not yet decoded): checked as the
 * input type's validation would (where it refuses, the executor says how), then `toFilter`.
 */
function plannedFilter(raw: unknown): ParticipantFilter {
  if (raw === null || raw === undefined) return {};
  const input = raw as Record<string, unknown>;
  const { regionCode, search, sponsorId } = input;
  if (typeof regionCode === "string" && !REGION_CODE.test(regionCode)) throw new NotPlannable("regionCode");
  if (typeof search === "string" && (search.length < searchLength.min || search.length > searchLength.max))
    throw new NotPlannable("search");
  const decoded =
    typeof sponsorId === "string"
      ? { typename: Sponsor.name, id: String(idArgument(sponsorId, Sponsor.name)) }
      : sponsorId;
  return toFilter({ ...input, sponsorId: decoded } as FilterArg);
}

export function toFilter(input: FilterArg): ParticipantFilter {
  if (!input) return {};
  const { sponsorId, ...rest } = input;
  // An id that cannot name a sponsor matches no participant rather than every participant.
  return { ...rest, ...(sponsorId ? { sponsorId: rowId(sponsorId.id) ?? -1 } : {}) };
}

builder.queryFields((t) => ({
  participant: t.drizzleField({
    type: "participants",
    nullable: true,
    description: "Null when no participant has this id or the caller may not see them.",
    args: { id: t.arg.globalID({ required: true, for: Participant }) },
    resolve: (query, _root, args, ctx) => {
      const id = rowId(args.id.id);
      return id === null ? null : ctx.db.query.participants.findFirst(query({ where: { id } }));
    },
    extensions: plan.lookup({ check: participantCheck }),
  }),
  participants: t.drizzleConnection(
    {
      type: "participants",
      args: {
        filter: t.arg({ type: ParticipantFilterInput }),
        orderBy: t.arg({ type: ParticipantOrder, defaultValue: "REGISTERED_AT_DESC", required: true }),
      },
      totalCount: (_parent, args, ctx) => countParticipants(ctx.db, toFilter(args.filter), ctx.viewer, ctx.clock.now()),
      resolve: (query, _root, args, ctx) => {
        const filter = toFilter(args.filter);
        const now = ctx.clock.now();
        return ctx.db.query.participants.findMany(
          query({
            where: { RAW: (table) => visibleParticipants(table, filter, ctx.viewer, now) },
            orderBy: participantOrderings[args.orderBy],
          }),
        );
      },
      extensions: plan.connection({
        where: (child, args) => [
          predicate((input) =>
            visibleParticipants(
              aliased(participants, child),
              plannedFilter(args(input).filter),
              input.viewer,
              input.now,
            ),
          ),
        ],
        ordering: (args) => {
          const order = Object.hasOwn(participantOrderings, String(args.orderBy))
            ? participantOrderings[args.orderBy as keyof typeof participantOrderings]
            : undefined;
          if (!order) throw new NotPlannable("unknown ordering");
          return orderingOf(participants, order);
        },
      }),
    },
    ParticipantConnection,
  ),
}));

builder.queryFields((t) => ({
  participantByNik: t.drizzleField({
    type: "participants",
    nullable: true,
    description: "Looks a worker up by full NIK; needs `pii:read`.",
    authScopes: { action: "participant:lookUpByNik" },
    args: {
      nik: t.arg.string({
        required: true,
        validate: { regex: [/^[0-9]{16}$/, { message: messageKey("BAD_USER_INPUT.nik") }] },
      }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.participants.findFirst(
        query({ where: { nik: args.nik, RAW: (table) => participantVisibility(table, ctx.viewer) } }),
      ),
  }),
  occupations: t.field({
    type: [Occupation],
    description: "The occupations a participant may register with, and the risk level each carries.",
    resolve: () => occupations.map(([code, name, riskLevel]) => ({ code, name, riskLevel })),
  }),
  referralLeaderboard: t.field({
    type: [ReferralLeaderboardEntry],
    description:
      "Nyalakan registrants ranked by how many of the workers they registered are still active (paying), then by registrations. Only referrals whose identity the civil registry verified count.",
    args: {
      regionCode: t.arg.string({
        description: "Only referrals living in this region (any level).",
        validate: { regex: [REGION_CODE, { message: messageKey("BAD_USER_INPUT.regionCode") }] },
      }),
      period: t.arg({
        type: DateRange,
        description: "Only referrals registered in this period (WIB dates, inclusive).",
      }),
      first: t.arg.int({ defaultValue: 10, validate: { min: 1, max: 100 } }),
    },
    resolve: async (_root, args, ctx) => {
      const tallies = await referralTallies(ctx.db, ctx.viewer, ctx.clock.now(), {
        regionCode: args.regionCode ?? null,
        registeredFrom: args.period?.from ?? null,
        registeredTo: args.period?.to ?? null,
        limit: args.first ?? 10,
      });
      return tallies.map((tally, i) => ({ ...tally, rank: i + 1 }));
    },
  }),
}));

const Occupation = builder.objectRef<{ code: string; name: string; riskLevel: RiskLevel }>("Occupation").implement({
  fields: (t) => ({
    code: t.exposeString("code", { description: "A value of OccupationCode." }),
    name: t.exposeString("name"),
    riskLevel: t.expose("riskLevel", { type: RiskLevelEnum }),
  }),
});

const DateRange = builder.inputType("DateRange", {
  fields: (t) => ({
    from: t.field({ type: "Date", required: true }),
    to: t.field({ type: "Date", required: true }),
  }),
  validate: [(range) => range.from <= range.to, { message: messageKey("BAD_USER_INPUT.period") }],
});

const ReferralLeaderboardEntry = builder
  .objectRef<{ rank: number; registrantId: number; registered: number; active: number }>("ReferralLeaderboardEntry")
  .implement({
    fields: (t) => ({
      rank: t.exposeInt("rank"),
      registrant: t.drizzleField({
        type: "participants",
        nullable: true,
        description:
          "Null (with one FORBIDDEN error here) when the caller may see the referrals but not the registrant.",
        resolve: async (query, entry, _args, ctx) => {
          const registrant = await ctx.db.query.participants.findFirst(query({ where: { id: entry.registrantId } }));
          if (!registrant) throw new Error(`registrant ${entry.registrantId} vanished`);
          return registrant;
        },
      }),
      activeReferrals: t.exposeInt("active", { description: "Referred workers paid through the current month." }),
      registeredReferrals: t.exposeInt("registered"),
      activeShare: t.float({
        description: "Share of referred workers still active, 0 to 1.",
        resolve: (entry) => (entry.registered === 0 ? 0 : entry.active / entry.registered),
      }),
    }),
  });

export const RegisterParticipantInput = builder.inputType("RegisterParticipantInput", {
  fields: (t) => ({
    nik: t.string({ required: true, description: "16-digit NIK; birth date and sex are derived from it." }),
    fullName: t.string({ required: true }),
    phone: t.string({ description: "Any Indonesian spelling (0812-3456-7890, +62 812...); stored as E.164." }),
    segment: t.field({ type: SegmentEnum, required: true }),
    occupation: t.string({
      required: true,
      description:
        "An OccupationCode (`NELAYAN`) or its name (`Nelayan`, any case), as the occupations query lists them; anything else is UNKNOWN_OCCUPATION. It sets the risk level.",
    }),
    ecosystem: t.field({ type: EcosystemCodeEnum, required: true }),
    villageCode: t.string({ required: true, description: "Where the worker lives (4-level Kemendagri code)." }),
    reportedMonthlyIncome: t.field({ type: "Rupiah", required: true }),
    programs: t.field({ type: [ProgramEnum], required: true }),
    channel: t.field({
      type: "RegistrationChannel",
      description: "Registration channel, e.g. JMO, PARTNER, OFFICE (defaults from the caller).",
    }),
    registeredById: t.globalID({
      for: Participant,
      description: "Nyalakan: the participant who registers this worker.",
    }),
    birthDate: t.field({ type: "Date", description: "Optional; must agree with the NIK." }),
    sex: t.field({ type: SexEnum, description: "Optional; must agree with the NIK." }),
  }),
});

const UpdateParticipantInput = builder.inputType("UpdateParticipantInput", {
  fields: (t) => ({
    id: t.globalID({ required: true, for: Participant }),
    phone: t.string({ description: "null removes the phone number." }),
    occupation: t.string(),
    ecosystem: t.field({ type: EcosystemCodeEnum }),
    villageCode: t.string(),
    reportedMonthlyIncome: t.field({ type: "Rupiah" }),
    programs: t.field({ type: [ProgramEnum] }),
  }),
});

const RegisterParticipantPayload = builder
  .objectRef<RegisterParticipantResult>("RegisterParticipantPayload")
  .implement({
    fields: (t) => ({
      participant: t.field({
        type: Participant,
        nullable: true,
        description: "Null when userErrors is not empty.",
        resolve: (result) => result.participant,
      }),
      existingParticipant: t.field({
        type: Participant,
        nullable: true,
        description: "With NIK_ALREADY_REGISTERED: who holds the NIK, when the caller may see them.",
        resolve: (result) => result.existingParticipant,
      }),
      userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
    }),
  });

const UpdateParticipantPayload = builder.objectRef<UpdateParticipantResult>("UpdateParticipantPayload").implement({
  fields: (t) => ({
    participant: t.field({
      type: Participant,
      nullable: true,
      description: "Null when userErrors is not empty.",
      resolve: (result) => result.participant,
    }),
    userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
  }),
});

builder.mutationFields((t) => ({
  registerParticipant: t.field({
    type: RegisterParticipantPayload,
    authScopes: { action: "participant:register" },
    args: { input: t.arg({ type: RegisterParticipantInput, required: true }) },
    resolve: (_root, { input }, ctx) => registerParticipant(ctx, toRegistration(input)),
  }),
  updateParticipant: t.field({
    type: UpdateParticipantPayload,
    authScopes: { action: "participant:update" },
    args: { input: t.arg({ type: UpdateParticipantInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { id, phone, occupation, ecosystem, villageCode, reportedMonthlyIncome, programs } = input;
      // Only the fields the caller gave: an omitted field stays as it is, an explicit null clears the phone.
      return updateParticipant(ctx, {
        id: rowId(id.id) ?? -1,
        ...(phone !== undefined ? { phone } : {}),
        ...(occupation != null ? { occupation } : {}),
        ...(ecosystem != null ? { ecosystem } : {}),
        ...(villageCode != null ? { villageCode } : {}),
        ...(reportedMonthlyIncome != null ? { reportedMonthlyIncome } : {}),
        ...(programs != null ? { programs } : {}),
      });
    },
  }),
}));

/** A RegisterParticipantInput as the service takes it (global registrant id to row id). */
export function toRegistration(input: typeof RegisterParticipantInput.$inferInput): RegisterParticipantServiceInput {
  return { ...input, registeredById: input.registeredById ? (rowId(input.registeredById.id) ?? -1) : null };
}

const MembershipEndReasonEnum = builder.enumType("MembershipEndReason", {
  description:
    "Why a membership ended: a move to another segment, or an exit (JHT reasons per Permenaker 4/2022, JKM per PP 82/2019).",
  values: membershipEndReasons,
});

export const ExitReasonEnum = builder.enumType("ExitReason", {
  description:
    "Why a member leaves for good. The JHT reasons follow Permenaker 4/2022 and the death's JKM benefit PP 82/2019 (docs/apps.md, Exits).",
  values: Object.fromEntries(
    exitReasons.map((reason) => [reason, { description: exitReasonSources[reason].source }]),
  ) as Record<ExitReason, { description: string }>,
});

const MembershipOpenReasonEnum = builder.enumType("MembershipOpenReason", { values: membershipOpenReasons });

const Employer = builder.objectRef<{ name: string; registrationNumber: string | null }>("Employer").implement({
  description: "A PU (wage earner) membership's employer.",
  fields: (t) => ({
    name: t.exposeString("name"),
    registrationNumber: t.exposeString("registrationNumber", {
      nullable: true,
      description: "The employer's registration number with the agency.",
    }),
  }),
});

export const Membership = builder.drizzleObject("memberships", {
  name: "Membership",
  description:
    "One membership of a participant's working life, with its own KPJ number (the card's). A participant holds one open membership per segment; a move or an exit ends it.",
  fields: (t) => ({
    kpj: t.string({
      description:
        "The 11-digit KPJ number: a 10-digit serial and Damm's check digit (docs/apps.md, KPJ numbers). Without `pii:read` (and not the worker themself) only the last four digits: `*******0013`.",
      resolve: (membership, _args, { viewer }) =>
        mayReadPersonalData(viewer, { id: membership.participantId }) ? membership.kpj : maskKpj(membership.kpj),
    }),
    segment: t.expose("segment", { type: SegmentEnum }),
    programs: t.expose("programs", { type: [ProgramEnum] }),
    employer: t.field({
      type: Employer,
      nullable: true,
      resolve: (membership) =>
        membership.employerName === null
          ? null
          : { name: membership.employerName, registrationNumber: membership.employerRegistrationNumber },
    }),
    startedOn: t.field({ type: "Date", resolve: (membership) => membership.startedOn }),
    openReason: t.expose("openReason", {
      type: MembershipOpenReasonEnum,
      description: "Why it opened: a registration, a move from the other segment, or a former member's return.",
    }),
    endedOn: t.field({ type: "Date", nullable: true, resolve: (membership) => membership.endedOn }),
    endReason: t.expose("endReason", { type: MembershipEndReasonEnum, nullable: true }),
    jkmClaimReference: t.exposeString("jkmClaimReference", {
      nullable: true,
      description: "A death's JKM claim at the agency, when it was recorded with one.",
    }),
  }),
});

builder.drizzleObjectFields(Participant, (t) => ({
  memberships: t.relation("memberships", {
    description: "The participant's memberships over their working life, newest first.",
    query: { orderBy: { startedOn: "desc", id: "desc" } },
    extensions: plan.executorOnly("membership history is read on one worker's page, not on lists"),
  }),
  kpj: t.string({
    nullable: true,
    description:
      "The KPJ number of the participant's open membership (the newest, if one is open in each of two segments).",
    select: {
      with: {
        memberships: {
          columns: { kpj: true },
          where: { endedOn: { isNull: true } },
          orderBy: { startedOn: "desc", id: "desc" },
          limit: 1,
        },
      },
    },
    resolve: (participant, _args, { viewer }) => {
      const kpj = participant.memberships[0]?.kpj;
      if (kpj === undefined) return null;
      return mayReadPersonalData(viewer, participant) ? kpj : maskKpj(kpj);
    },
    extensions: plan.executorOnly("read with the membership history, on one worker's page"),
  }),
}));

builder.queryFields((t) => ({
  participantByKpj: t.drizzleField({
    type: "participants",
    nullable: true,
    description:
      "Looks a worker up by the KPJ number of any of their memberships (open or ended); needs `pii:read`, as a NIK lookup does. A mistyped number (its check digit does not match) is refused before any lookup.",
    authScopes: { action: "participant:lookUpByNik" },
    args: { kpj: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const parsed = parseKpj(args.kpj);
      if ("problem" in parsed) {
        throw badUserInput(
          msg(parsed.problem === "KPJ_FORMAT" ? "BAD_USER_INPUT.kpj" : "BAD_USER_INPUT.kpjCheckDigit"),
        );
      }
      // One statement: the member of whichever membership (open or ended) carries the number.
      return ctx.db.query.participants.findFirst(
        query({
          where: { memberships: { kpj: parsed.kpj }, RAW: (table) => participantVisibility(table, ctx.viewer) },
        }),
      );
    },
  }),
}));
