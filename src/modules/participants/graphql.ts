import { builder } from "../../builder";
import { rowId } from "../../shared/ids";
import { canSeeParticipant, hasScope, maskNik, maskPhone } from "../access/rules";
import { ProgramEnum } from "../contributions/graphql";
import { EcosystemCodeEnum } from "../ecosystems/graphql";
import { REGION_CODE } from "../regions/store";
import { Sponsor } from "../sponsors/graphql";
import { membershipStatus, monthsInArrears, participantStatuses } from "./rules";
import { countParticipants, type ParticipantFilter, visibleParticipants } from "./store";
import { riskLevels, segments, sexes } from "./tables";

export const SegmentEnum = builder.enumType("Segment", {
  description: "BPU informal worker, PU wage earner, JAKON construction worker, PMI migrant worker.",
  values: segments,
});
export const SexEnum = builder.enumType("Sex", { values: sexes });
export const RiskLevelEnum = builder.enumType("RiskLevel", { values: riskLevels });
export const ParticipantStatusEnum = builder.enumType("ParticipantStatus", {
  description:
    "PENDING never paid; ACTIVE paid through the current month; GRACE one or two months unpaid; INACTIVE three or more (protection stopped).",
  values: participantStatuses,
});

export const Participant = builder.drizzleNode("participants", {
  name: "Participant",
  description: "A worker enrolled in BPJS Ketenagakerjaan programs.",
  id: { column: (participant) => participant.id },
  // Every path to a participant (lists, node, relations) passes this row-level check.
  authScopes: (participant, { viewer }) => canSeeParticipant(viewer, participant),
  fields: (t) => ({
    nik: t.string({
      description: "16-digit national ID number (NIK); masked (`3171********0001`) without `pii:read`.",
      select: { columns: { nik: true } },
      resolve: (participant, _args, { viewer }) =>
        hasScope(viewer, "pii:read") ? participant.nik : maskNik(participant.nik),
    }),
    fullName: t.exposeString("fullName"),
    birthDate: t.expose("birthDate", { type: "Date" }),
    sex: t.expose("sex", { type: SexEnum }),
    phone: t.string({
      nullable: true,
      description: "E.164, e.g. +6281234567890; masked without `pii:read`.",
      select: { columns: { phone: true } },
      resolve: ({ phone }, _args, { viewer }) =>
        phone === null || hasScope(viewer, "pii:read") ? phone : maskPhone(phone),
    }),
    segment: t.expose("segment", { type: SegmentEnum }),
    occupation: t.exposeString("occupation"),
    riskLevel: t.expose("riskLevel", { type: RiskLevelEnum }),
    reportedMonthlyIncome: t.expose("reportedMonthlyIncome", { type: "Rupiah" }),
    programs: t.expose("programs", { type: [ProgramEnum] }),
    channel: t.exposeString("channel", { description: "Where the worker was registered, e.g. JMO, PARTNER, OFFICE." }),
    registeredAt: t.expose("registeredAt", { type: "DateTime" }),
    paidThrough: t.expose("paidThrough", {
      type: "Month",
      nullable: true,
      description: "The last month covered by settled contributions.",
    }),
    status: t.field({
      type: ParticipantStatusEnum,
      select: { columns: { paidThrough: true } },
      resolve: (participant, _args, ctx) => membershipStatus(participant.paidThrough, ctx.clock.now()),
    }),
    monthsInArrears: t.int({
      nullable: true,
      description: "Unpaid months up to and including the current one; null before the first payment.",
      select: { columns: { paidThrough: true } },
      resolve: (participant, _args, ctx) => monthsInArrears(participant.paidThrough, ctx.clock.now()),
    }),
    ecosystem: t.relation("ecosystem"),
    region: t.relation("village", { description: "The village where the worker lives." }),
    sponsor: t.relation("sponsor", { nullable: true, type: Sponsor }),
    registeredBy: t.relation("registeredBy", {
      nullable: true,
      description: "Nyalakan: the participant who registered this worker.",
    }),
    payments: t.relatedConnection("payments", {
      description: "Contribution payments, newest first.",
      query: { orderBy: { createdAt: "desc", id: "desc" } },
      totalCount: true,
    }),
  }),
});

const ParticipantFilterInput = builder.inputType("ParticipantFilter", {
  fields: (t) => ({
    ecosystem: t.field({ type: EcosystemCodeEnum }),
    status: t.field({ type: ParticipantStatusEnum }),
    segment: t.field({ type: SegmentEnum }),
    regionCode: t.string({
      description: "Any region level: province `31`, regency `31.71`, district `31.71.01` or village.",
      validate: { regex: [REGION_CODE, { message: "regionCode must be a Kemendagri code such as 31.71" }] },
    }),
    sponsorId: t.globalID({ for: Sponsor }),
    registeredFrom: t.field({ type: "Date" }),
    registeredTo: t.field({ type: "Date" }),
    search: t.string({
      description: "A name prefix (case-insensitive) or a full 16-digit NIK.",
      validate: { minLength: [2, { message: "search needs at least 2 characters" }], maxLength: 100 },
    }),
  }),
});

const ParticipantOrder = builder.enumType("ParticipantOrder", {
  values: ["REGISTERED_AT_DESC", "REGISTERED_AT_ASC", "FULL_NAME_ASC", "FULL_NAME_DESC"] as const,
});

const orderings = {
  REGISTERED_AT_DESC: { registeredAt: "desc" },
  REGISTERED_AT_ASC: { registeredAt: "asc" },
  FULL_NAME_ASC: { fullName: "asc" },
  FULL_NAME_DESC: { fullName: "desc" },
} as const;

type FilterArg = typeof ParticipantFilterInput.$inferInput | null | undefined;

function toFilter(input: FilterArg): ParticipantFilter {
  if (!input) return {};
  const { sponsorId, ...rest } = input;
  // An id that cannot name a sponsor matches no participant rather than every participant.
  return { ...rest, ...(sponsorId ? { sponsorId: rowId(sponsorId.id) ?? -1 } : {}) };
}

builder.queryFields((t) => ({
  participant: t.drizzleField({
    type: "participants",
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Participant }) },
    resolve: (query, _root, args, ctx) => {
      const id = rowId(args.id.id);
      return id === null ? null : ctx.db.query.participants.findFirst(query({ where: { id } }));
    },
  }),
  participants: t.drizzleConnection({
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
          orderBy: orderings[args.orderBy],
        }),
      );
    },
  }),
}));
