import { builder } from "../../builder";
import { encodeGlobalId, rowId } from "../../shared/ids";
import { UserError } from "../../shared/user-error-type";
import { participantVisibility } from "../participants/conditions";
import { ParticipantConnection, RegisterParticipantInput, toRegistration } from "../participants/graphql";
import { Sponsorship } from "../sponsors/graphql";
import { sponsorshipFigures } from "./figures";
import { type EnrollmentResult, enrollSponsoredParticipants, MAX_ENROLLMENT_ROWS } from "./service";
import { coveredWorkers } from "./store";
import type { EnrollmentReport } from "./tables";

const EnrollmentRowStatusEnum = builder.enumType("EnrollmentRowStatus", {
  values: ["CREATED", "ATTACHED", "ALREADY_ENROLLED", "REJECTED"] as const,
});

const EnrollmentRow = builder.objectRef<EnrollmentReport["rows"][number]>("EnrollmentRow").implement({
  description: "What became of one input row.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Position in the input list (0-based)." }),
    status: t.expose("status", { type: EnrollmentRowStatusEnum }),
    participantId: t.id({
      nullable: true,
      resolve: (row) => (row.participantId === null ? null : encodeGlobalId("Participant", row.participantId)),
    }),
  }),
});

const SponsorshipFigures = builder
  .objectRef<ReturnType<typeof sponsorshipFigures> & { budget: bigint; spent: bigint }>("SponsorshipFigures")
  .implement({
    fields: (t) => ({
      enrolled: t.exposeInt("enrolled"),
      active: t.exposeInt("active", { description: "Enrolled workers paid through the current month." }),
      activeShare: t.exposeFloat("activeShare", { description: "Share of enrolled workers still active, 0 to 1." }),
      spent: t.field({ type: "Rupiah", resolve: (figures) => figures.spent }),
      budget: t.field({ type: "Rupiah", resolve: (figures) => figures.budget }),
      upcomingAmountDue: t.field({
        type: "Rupiah",
        description: "What the next period costs for every enrolled worker at today's rates.",
        resolve: (figures) => figures.upcomingAmountDue,
      }),
    }),
  });

builder.drizzleObjectFields(Sponsorship, (t) => ({
  enrollments: t.relatedConnection(
    "participants",
    {
      description: "The workers this sponsorship covers (that the caller may see), newest first.",
      query: (_args, ctx) => ({
        where: { RAW: (table) => participantVisibility(table, ctx.viewer) },
        orderBy: { registeredAt: "desc" },
      }),
      totalCount: true,
    },
    ParticipantConnection,
  ),
  figures: t.field({
    type: SponsorshipFigures,
    description:
      "Coverage, retention (activeShare), spend against budget and the next period's cost, counting only the workers the caller may see.",
    select: { columns: { id: true, programs: true, monthsPerPeriod: true, budget: true, spent: true } },
    resolve: async (sponsorship, _args, ctx) => ({
      ...sponsorshipFigures(await coveredWorkers(ctx.db, sponsorship.id, ctx.viewer), sponsorship, ctx.clock.now()),
      budget: sponsorship.budget,
      spent: sponsorship.spent,
    }),
  }),
}));

const EnrollSponsoredParticipantsInput = builder.inputType("EnrollSponsoredParticipantsInput", {
  fields: (t) => ({
    sponsorshipId: t.globalID({ required: true, for: Sponsorship }),
    participants: t.field({
      type: [RegisterParticipantInput],
      required: true,
      description: `Up to ${MAX_ENROLLMENT_ROWS} workers, each checked exactly as registerParticipant checks one.`,
    }),
    idempotencyKey: t.string({ required: true }),
  }),
});

const EnrollSponsoredParticipantsPayload = builder
  .objectRef<EnrollmentResult>("EnrollSponsoredParticipantsPayload")
  .implement({
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
      created: t.int({
        description: "New participants registered and enrolled.",
        resolve: (r) => r.report?.created ?? 0,
      }),
      attached: t.int({ description: "Registered participants enrolled.", resolve: (r) => r.report?.attached ?? 0 }),
      alreadyEnrolled: t.int({ resolve: (r) => r.report?.alreadyEnrolled ?? 0 }),
      rejected: t.int({
        description: "Rows not enrolled; each has userErrors.",
        resolve: (r) => r.report?.rejected ?? 0,
      }),
      rows: t.field({ type: [EnrollmentRow], resolve: (r) => r.report?.rows ?? [] }),
      userErrors: t.field({
        type: [UserError],
        description: 'Row errors carry the row in their field: ["input", "participants", "<index>", "<field>"].',
        resolve: (r) => r.userErrors,
      }),
    }),
  });

builder.mutationField("enrollSponsoredParticipants", (t) =>
  t.field({
    type: EnrollSponsoredParticipantsPayload,
    description: "Sertakan bulk enrollment; also as CSV at POST /sponsors/:sponsorId/enrollments.csv.",
    args: { input: t.arg({ type: EnrollSponsoredParticipantsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      enrollSponsoredParticipants(ctx, {
        sponsorshipId: rowId(input.sponsorshipId.id) ?? -1,
        participants: input.participants.map(toRegistration),
        idempotencyKey: input.idempotencyKey,
      }),
  }),
);
