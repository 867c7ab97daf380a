import { builder } from "../../builder";
import { rowId } from "../../shared/ids";
import { canSeeSponsor } from "../access/rules";
import { ProgramEnum } from "../contributions/graphql";
import { sponsorVisibility } from "./store";
import { sponsorKinds, sponsorPrograms, sponsors as sponsorsTable } from "./tables";

export const SponsorKindEnum = builder.enumType("SponsorKind", { values: sponsorKinds });
export const SponsorProgramEnum = builder.enumType("SponsorProgram", { values: sponsorPrograms });

export const Sponsor = builder.drizzleNode("sponsors", {
  name: "Sponsor",
  description: "A company, government body, NGO or individual paying contributions for workers (Sertakan).",
  id: { column: (sponsor) => sponsor.id },
  authScopes: (sponsor, { viewer }) => canSeeSponsor(viewer, sponsor.id),
  fields: (t) => ({
    name: t.exposeString("name"),
    kind: t.expose("kind", { type: SponsorKindEnum }),
    program: t.expose("program", { type: SponsorProgramEnum }),
    contactEmail: t.exposeString("contactEmail", { nullable: true }),
    contactPhone: t.exposeString("contactPhone", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    sponsorships: t.relation("sponsorships", { query: { orderBy: { startsOn: "desc", id: "desc" } } }),
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
    budget: t.expose("budget", { type: "Rupiah" }),
    spent: t.expose("spent", { type: "Rupiah" }),
    startsOn: t.expose("startsOn", { type: "Date" }),
    endsOn: t.expose("endsOn", { type: "Date" }),
  }),
});

builder.queryFields((t) => ({
  sponsor: t.drizzleField({
    type: "sponsors",
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Sponsor }) },
    resolve: (query, _root, args, ctx) => {
      const id = rowId(args.id.id);
      return id === null ? null : ctx.db.query.sponsors.findFirst(query({ where: { id } }));
    },
  }),
  sponsors: t.drizzleConnection({
    type: "sponsors",
    totalCount: (_parent, _args, ctx) => ctx.db.$count(sponsorsTable, sponsorVisibility(sponsorsTable, ctx.viewer)),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.sponsors.findMany(
        query({ where: { RAW: (table) => sponsorVisibility(table, ctx.viewer) }, orderBy: { name: "asc" } }),
      ),
  }),
}));
