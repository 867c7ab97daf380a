import { builder } from "../../builder";
import { aliased, plan } from "../../read-plan/field-plan";
import { predicate } from "../../read-plan/statement";
import { countedConnection } from "../../shared/connections";
import { rowId } from "../../shared/ids";
import { ProgramEnum } from "../../shared/program-enums";
import { UserError } from "../../shared/user-error-type";
import { canSeeSponsor, sponsorVisibility } from "./conditions";
import { type CreateSponsorResult, createSponsorship, type SponsorshipResult, setSponsorshipBudget } from "./service";
import { sponsorKinds, sponsorPrograms, sponsors as sponsorsTable } from "./tables";

export const SponsorKindEnum = builder.enumType("SponsorKind", { values: sponsorKinds });
export const SponsorProgramEnum = builder.enumType("SponsorProgram", { values: sponsorPrograms });

/** A sponsor another row names, seen only by whoever may see it (else null + FORBIDDEN). */
export const sponsorCheck = (row: string) =>
  predicate((input) => sponsorVisibility(aliased(sponsorsTable, row), input.viewer));

export const Sponsor = builder.drizzleNode("sponsors", {
  name: "Sponsor",
  description: "A company, government body, NGO or individual paying contributions for workers (Sertakan).",
  id: { column: (sponsor) => sponsor.id },
  authScopes: (sponsor, { viewer }) => canSeeSponsor(viewer, sponsor.id),
  // Loaded whole: fields read the row (see Participant for why not `expose`).
  fields: (t) => ({
    name: t.string({ resolve: (row) => row.name, extensions: plan.column(sponsorsTable.name) }),
    kind: t.field({ type: SponsorKindEnum, resolve: (row) => row.kind, extensions: plan.column(sponsorsTable.kind) }),
    program: t.field({
      type: SponsorProgramEnum,
      resolve: (row) => row.program,
      extensions: plan.column(sponsorsTable.program),
    }),
    contactEmail: t.string({
      nullable: true,
      resolve: (row) => row.contactEmail,
      extensions: plan.column(sponsorsTable.contactEmail),
    }),
    contactPhone: t.string({
      nullable: true,
      resolve: (row) => row.contactPhone,
      extensions: plan.column(sponsorsTable.contactPhone),
    }),
    createdAt: t.field({
      type: "DateTime",
      resolve: (row) => row.createdAt,
      extensions: plan.column(sponsorsTable.createdAt),
    }),
    sponsorships: t.relation("sponsorships", {
      query: { orderBy: { startsOn: "desc", id: "desc" } },
      extensions: plan.executorOnly("a list relation (sponsorships, their batches and figures) is not planned"),
    }),
  }),
});

export const Sponsorship = builder.drizzleNode("sponsorships", {
  name: "Sponsorship",
  description: "A commitment to cover a set of workers for some months with given programs, within a budget.",
  id: { column: (sponsorship) => sponsorship.id },
  authScopes: (sponsorship, { viewer }) => canSeeSponsor(viewer, sponsorship.sponsorId),
  fields: (t) => ({
    sponsor: t.relation("sponsor"),
    programs: t.expose("programs", { type: [ProgramEnum] }),
    monthsPerPeriod: t.exposeInt("monthsPerPeriod"),
    maxParticipants: t.exposeInt("maxParticipants"),
    budget: t.expose("budget", {
      type: "Rupiah",
      description:
        "What the agency committed for this sponsorship (set by ADMIN; a sponsor's own figure waits in requestedBudget).",
    }),
    requestedBudget: t.expose("requestedBudget", {
      type: "Rupiah",
      nullable: true,
      description: "A budget the sponsor asked for, until ADMIN sets it with setSponsorshipBudget.",
    }),
    spent: t.expose("spent", {
      type: "Rupiah",
      description: "Committed to batches: pending ones included, failed ones and workers not paid given back.",
    }),
    startsOn: t.expose("startsOn", { type: "Date" }),
    endsOn: t.expose("endsOn", { type: "Date" }),
    remainingBudget: t.field({
      type: "Rupiah",
      select: { columns: { budget: true, spent: true } },
      resolve: (sponsorship) => sponsorship.budget - sponsorship.spent,
    }),
  }),
});

builder.queryFields((t) => ({
  sponsor: t.drizzleField({
    type: "sponsors",
    nullable: true,
    description: "Null when no sponsor has this id or the caller may not see it.",
    args: { id: t.arg.globalID({ required: true, for: Sponsor }) },
    resolve: (query, _root, args, ctx) => {
      const id = rowId(args.id.id);
      return id === null ? null : ctx.db.query.sponsors.findFirst(query({ where: { id } }));
    },
    extensions: plan.lookup({ check: sponsorCheck }),
  }),
  sponsors: t.drizzleConnection(
    {
      type: "sponsors",
      totalCount: (_parent, _args, ctx) => ctx.db.$count(sponsorsTable, sponsorVisibility(sponsorsTable, ctx.viewer)),
      resolve: (query, _root, _args, ctx) =>
        ctx.db.query.sponsors.findMany(
          query({ where: { RAW: (table) => sponsorVisibility(table, ctx.viewer) }, orderBy: { name: "asc" } }),
        ),
    },
    countedConnection("SponsorConnection", Sponsor),
  ),
}));

export const CreateSponsorInput = builder.inputType("CreateSponsorInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: SponsorKindEnum, required: true }),
    program: t.field({ type: SponsorProgramEnum, required: true }),
    contactEmail: t.string(),
    contactPhone: t.string(),
  }),
});

export const CreateSponsorPayload = builder.objectRef<CreateSponsorResult>("CreateSponsorPayload").implement({
  fields: (t) => ({
    sponsor: t.field({
      type: Sponsor,
      nullable: true,
      description: "Null when userErrors is not empty.",
      resolve: (result) => result.sponsor,
    }),
    apiKey: t.string({
      nullable: true,
      description:
        "The sponsor's login: an X-Api-Key acting as SPONSOR for this sponsor only. Shown once; store it now.",
      resolve: (result) => result.apiKey,
    }),
    userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
  }),
});

const CreateSponsorshipInput = builder.inputType("CreateSponsorshipInput", {
  fields: (t) => ({
    sponsorId: t.globalID({ required: true, for: Sponsor }),
    programs: t.field({ type: [ProgramEnum], required: true, description: "At least JKK and JKM." }),
    monthsPerPeriod: t.int({
      required: true,
      description: "1, 3, 6 or 12: how many months each batch payment covers.",
    }),
    maxParticipants: t.int({ required: true }),
    budget: t.field({
      type: "Rupiah",
      required: true,
      description:
        "Set as given by ADMIN; from a sponsor it is recorded as requestedBudget, and budget stays 0 until ADMIN sets it.",
    }),
    startsOn: t.field({ type: "Date", required: true }),
    endsOn: t.field({ type: "Date", required: true }),
  }),
});

/** A payload answering with the sponsorship (read back with the client's selection) or userErrors. */
function sponsorshipPayload(name: string) {
  return builder.objectRef<SponsorshipResult>(name).implement({
    fields: (t) => ({
      sponsorship: t.drizzleField({
        type: "sponsorships",
        nullable: true,
        description: "Null when userErrors is not empty.",
        resolve: (query, result, _args, ctx) =>
          result.sponsorship
            ? ctx.db.query.sponsorships.findFirst(query({ where: { id: result.sponsorship.id } }))
            : null,
      }),
      userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
    }),
  });
}

const CreateSponsorshipPayload = sponsorshipPayload("CreateSponsorshipPayload");

const SetSponsorshipBudgetInput = builder.inputType("SetSponsorshipBudgetInput", {
  fields: (t) => ({
    sponsorshipId: t.globalID({ required: true, for: Sponsorship }),
    budget: t.field({ type: "Rupiah", required: true }),
  }),
});

const SetSponsorshipBudgetPayload = sponsorshipPayload("SetSponsorshipBudgetPayload");

builder.mutationFields((t) => ({
  setSponsorshipBudget: t.field({
    type: SetSponsorshipBudgetPayload,
    description:
      "Sets or raises a sponsorship's budget (ADMIN or sponsors:write); never below what is already committed.",
    authScopes: { action: "sponsorship:fund" },
    args: { input: t.arg({ type: SetSponsorshipBudgetInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      setSponsorshipBudget(ctx, { sponsorshipId: rowId(input.sponsorshipId.id) ?? -1, budget: input.budget }),
  }),
  createSponsorship: t.field({
    type: CreateSponsorshipPayload,
    description: "A commitment to cover workers: programs, months per period, how many workers, budget, period.",
    args: { input: t.arg({ type: CreateSponsorshipInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createSponsorship(ctx, { ...input, sponsorId: rowId(input.sponsorId.id) ?? -1 }),
  }),
}));
