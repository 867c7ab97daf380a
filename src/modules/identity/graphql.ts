import { builder } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { countedConnection } from "../../shared/connections";
import { rowId } from "../../shared/ids";
import { messageKey } from "../../shared/messages";
import { UserError } from "../../shared/user-error-type";
import { dashboardScopeFor } from "../dashboard/service";
import { ExitRefundRef as ExitRefund } from "../membership-changes/graphql";
import { IdentityStatusEnum, Participant } from "../participants/graphql";
import { REGION_CODE } from "../regions/codes";
import { type ResolveDuplicateResult, resolveDuplicate } from "./duplicates";
import { type RecheckIdentityResult, recheckIdentity, type VerifiedShare, verifiedShare } from "./service";
import { openCandidates } from "./store";
import { duplicateCandidates, duplicateResolutions, duplicateRules, identityCheckReasons } from "./tables";

const IdentityCheckReasonEnum = builder.enumType("IdentityCheckReason", {
  description: "Why the registry was asked: the registration itself, or an officer's re-run.",
  values: identityCheckReasons,
});

const IdentityCheck = builder.drizzleObject("identityChecks", {
  name: "IdentityCheck",
  description:
    "One request to the civil registry (Dukcapil) about a participant, and its decision. Only the decision is kept, never the registry's reply.",
  fields: (t) => ({
    reason: t.field({ type: IdentityCheckReasonEnum, resolve: (check) => check.reason }),
    requestedAt: t.field({ type: "DateTime", resolve: (check) => check.requestedAt }),
    status: t.field({
      type: IdentityStatusEnum,
      description: "UNVERIFIED while pending; the decision once made.",
      resolve: (check) => check.status,
    }),
    mismatchedFields: t.stringList({
      nullable: true,
      description: "MISMATCH: which of name, birthDate and face did not match.",
      resolve: (check) => check.mismatchedFields,
    }),
    attempts: t.exposeInt("attempts", {
      description: "How often the registry was asked (it retries while unavailable).",
    }),
    verifierVersion: t.exposeString("verifierVersion", { nullable: true }),
    decidedAt: t.field({ type: "DateTime", nullable: true, resolve: (check) => check.decidedAt }),
  }),
});

builder.drizzleObjectFields(Participant, (t) => ({
  identityChecks: t.relation("identityChecks", {
    type: IdentityCheck,
    description: "The registry's checks of this participant, newest first (at most 10).",
    query: { orderBy: { id: "desc" }, limit: 10 },
    extensions: plan.executorOnly("read on one worker's page, not on lists"),
  }),
}));

const RecheckIdentityInput = builder.inputType("RecheckIdentityInput", {
  fields: (t) => ({ participantId: t.globalID({ required: true, for: Participant }) }),
});

const RecheckIdentityPayload = builder.objectRef<RecheckIdentityResult>("RecheckIdentityPayload").implement({
  fields: (t) => ({
    participant: t.field({ type: Participant, nullable: true, resolve: (result) => result.participant }),
    check: t.field({
      type: IdentityCheck,
      nullable: true,
      description: "The pending check (the one already pending, if there was one).",
      resolve: (result) => result.check,
    }),
    userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
  }),
});

const VerifiedShareRef = builder.objectRef<VerifiedShare>("VerifiedShare").implement({
  description: "Of the participants of a region registered through a channel, how many the civil registry verified.",
  fields: (t) => ({
    regionCode: t.exposeString("regionCode", { description: "A child region of the scope (provinces nationally)." }),
    channel: t.exposeString("channel"),
    registered: t.exposeInt("registered"),
    verified: t.exposeInt("verified"),
    share: t.exposeFloat("share", { nullable: true }),
  }),
});

builder.mutationFields((t) => ({
  recheckIdentity: t.field({
    type: RecheckIdentityPayload,
    description:
      "Asks the civil registry again about a worker the caller may see (officers in their region, ADMIN): a pending check that the queue handles like a registration's. At most 30 an hour per caller; audited.",
    authScopes: { action: "identity:recheck" },
    args: { input: t.arg({ type: RecheckIdentityInput, required: true }) },
    resolve: (_root, { input }, ctx) => recheckIdentity(ctx, { participantId: rowId(input.participantId.id) ?? -1 }),
  }),
}));

builder.queryFields((t) => ({
  verifiedShare: t.field({
    type: [VerifiedShareRef],
    description:
      "The share of participants the civil registry verified, by child region and registration channel (ADMIN; OFFICER within their region).",
    args: {
      regionCode: t.arg.string({
        validate: { regex: [REGION_CODE, { message: messageKey("BAD_USER_INPUT.regionCode") }] },
      }),
    },
    resolve: (_root, args, ctx) => verifiedShare(ctx, args.regionCode ?? null),
  }),
}));

const DuplicateRuleEnum = builder.enumType("DuplicateRule", {
  description:
    "Why two records may be one person: the same name and birth date under different NIKs, the same name under NIKs one digit apart, one phone on several workers, or a registrant's NIKs that follow one another.",
  values: duplicateRules,
});
const DuplicateResolutionEnum = builder.enumType("DuplicateResolution", { values: duplicateResolutions });

const DuplicateCandidate = builder.drizzleNode("duplicateCandidates", {
  name: "DuplicateCandidate",
  id: { column: (candidate) => candidate.id },
  description: "Two records a rule says may be one person, for the officers of the later one's region to resolve.",
  fields: (t) => ({
    participant: t.relation("participant", {
      nullable: true,
      description: "The later registration; null when the caller may not see it.",
    }),
    otherParticipant: t.relation("otherParticipant", {
      nullable: true,
      description: "The earlier registration (it may live in another region); null when the caller may not see it.",
    }),
    rule: t.expose("rule", { type: DuplicateRuleEnum }),
    foundAt: t.field({ type: "DateTime", resolve: (candidate) => candidate.foundAt }),
    resolution: t.expose("resolution", { type: DuplicateResolutionEnum, nullable: true }),
    keptParticipant: t.relation("keptParticipant", { nullable: true }),
    resolvedAt: t.field({ type: "DateTime", nullable: true, resolve: (candidate) => candidate.resolvedAt }),
  }),
});

const DuplicateCandidateConnection = countedConnection("DuplicateCandidateConnection", DuplicateCandidate);

const ResolveDuplicateInput = builder.inputType("ResolveDuplicateInput", {
  fields: (t) => ({
    candidateId: t.globalID({ required: true, for: DuplicateCandidate }),
    resolution: t.field({ type: DuplicateResolutionEnum, required: true }),
    keptParticipantId: t.globalID({
      for: Participant,
      description: "SAME_PERSON: the record to keep (one of the pair); the earlier registration by default.",
    }),
  }),
});

const ResolveDuplicatePayload = builder.objectRef<ResolveDuplicateResult>("ResolveDuplicatePayload").implement({
  fields: (t) => ({
    candidate: t.field({ type: DuplicateCandidate, nullable: true, resolve: (result) => result.candidate }),
    kept: t.field({
      type: Participant,
      nullable: true,
      description: "SAME_PERSON: the record kept, with the other's payments, memberships and referrals.",
      resolve: (result) => result.kept,
    }),
    refunds: t.field({
      type: [ExitRefund],
      description: "Months both records had paid for, given back once from the duplicate's payments.",
      resolve: (result) => result.refunds,
    }),
    userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
  }),
});

builder.queryFields((t) => ({
  duplicateCandidates: t.drizzleConnection(
    {
      type: "duplicateCandidates",
      description:
        "Open duplicate candidates (unresolved), oldest first: an officer's work list for their region (ADMIN: any region, or the country). Pairs whose two records the caller may not both see are not listed.",
      authScopes: { action: "identity:resolveDuplicate" },
      args: {
        regionCode: t.arg.string({
          validate: { regex: [REGION_CODE, { message: messageKey("BAD_USER_INPUT.regionCode") }] },
        }),
      },
      totalCount: (_parent, args, ctx) =>
        ctx.db.$count(
          duplicateCandidates,
          openCandidates(duplicateCandidates, dashboardScopeFor(ctx.viewer, args.regionCode ?? null), ctx.viewer),
        ),
      resolve: (query, _root, args, ctx) =>
        ctx.db.query.duplicateCandidates.findMany(
          query({
            where: {
              RAW: (table) => openCandidates(table, dashboardScopeFor(ctx.viewer, args.regionCode ?? null), ctx.viewer),
            },
            orderBy: { id: "asc" },
          }),
        ),
      extensions: plan.executorOnly("an officer's short work list, not a page of the read path"),
    },
    DuplicateCandidateConnection,
  ),
}));

builder.mutationFields((t) => ({
  resolveDuplicate: t.field({
    type: ResolveDuplicatePayload,
    description:
      "Resolves a duplicate candidate (officers of its region, ADMIN; audited): NOT_DUPLICATE closes it; SAME_PERSON keeps one record and merges the other into it — payments, covered months, memberships and referrals move, a month both paid is refunded once, and the other record ends as a DUPLICATE exit.",
    authScopes: { action: "identity:resolveDuplicate" },
    args: { input: t.arg({ type: ResolveDuplicateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      resolveDuplicate(ctx, {
        candidateId: rowId(input.candidateId.id) ?? -1,
        resolution: input.resolution,
        keptParticipantId: input.keptParticipantId ? (rowId(input.keptParticipantId.id) ?? -1) : null,
      }),
  }),
}));
