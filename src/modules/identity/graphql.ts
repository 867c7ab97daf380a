import { builder } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { rowId } from "../../shared/ids";
import { messageKey } from "../../shared/messages";
import { UserError } from "../../shared/user-error-type";
import { IdentityStatusEnum, Participant } from "../participants/graphql";
import { REGION_CODE } from "../regions/codes";
import { type RecheckIdentityResult, recheckIdentity, type VerifiedShare, verifiedShare } from "./service";
import { identityCheckReasons } from "./tables";

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
