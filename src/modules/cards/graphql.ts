import { builder } from "../../builder";
import { say } from "../../shared/messages";
import { ProgramEnum, SegmentEnum } from "../../shared/program-enums";
import { ParticipantStatusEnum } from "../participants/graphql";
import { maskNik } from "../participants/masking";
import { membershipStatus } from "../participants/rules";
import type { CardCode } from "./card-code";
import { CARD_CODE_TTL_SECONDS, CARD_VERIFICATION_LIMIT, cardStatuses, cardValidUntil, type JhtMonth } from "./rules";
import {
  type CardRow,
  type CardVerification,
  cardCode,
  jhtSavingsOf,
  ownCard,
  type VerifiedCard,
  verifyCard,
} from "./service";

const hours = CARD_CODE_TTL_SECONDS / 3600;

const MembershipCardCode = builder.objectRef<CardCode>("MembershipCardCode").implement({
  description: `What the card's QR code holds: a compact JWS (HS256) naming the membership and the code's issue and expiry times, nothing else (no NIK, no name). Valid ${hours} hours; ask again for a fresh one. Check it with verifyMembershipCard.`,
  fields: (t) => ({
    code: t.exposeString("code", { description: "Put this string, as it is, into the QR code." }),
    issuedAt: t.field({ type: "DateTime", resolve: (code) => code.issuedAt.toISOString() }),
    expiresAt: t.field({
      type: "DateTime",
      description: "After this, verifyMembershipCard answers EXPIRED.",
      resolve: (code) => code.expiresAt.toISOString(),
    }),
  }),
});

const JhtSavingsMonth = builder.objectRef<JhtMonth>("JhtSavingsMonth").implement({
  description: "One month the member's payments cover that paid into JHT, and how much.",
  fields: (t) => ({
    month: t.field({ type: "Month", resolve: (row) => row.month }),
    amount: t.field({
      type: "Rupiah",
      description: "The JHT contribution for this month.",
      resolve: (row) => row.amount,
    }),
  }),
});

const JhtSavings = builder.objectRef<{ months: JhtMonth[]; total: bigint }>("JhtSavings").implement({
  description:
    "JHT (old-age savings) contributions paid for the member: settled payments' JHT less what refunds gave back. Contributions only: the agency's investment return on them (hasil pengembangan) is NOT included, so this is not the balance the agency pays out.",
  fields: (t) => ({
    months: t.field({
      type: [JhtSavingsMonth],
      description:
        "Covered months whose payment included JHT, oldest first; a month paid without JHT is not listed. A refunded payment keeps the months used before its refund.",
      resolve: (savings) => savings.months,
    }),
    total: t.field({
      type: "Rupiah",
      description: "The sum of `months`: JHT settled less JHT refunded, excluding investment return.",
      resolve: (savings) => savings.total,
    }),
  }),
});

const MembershipCard = builder.objectRef<CardRow>("MembershipCard").implement({
  description:
    "The member's own card (the JMO app): their open membership, in full since it is their own, except the NIK, masked as everywhere on a card.",
  fields: (t) => ({
    fullName: t.exposeString("fullName"),
    nik: t.string({
      description: "Masked: the province and regency digits only (`3171************`).",
      resolve: (card) => maskNik(card.nik),
    }),
    kpj: t.exposeString("kpj", { description: "The open membership's 11-digit KPJ number, in full." }),
    segment: t.field({ type: SegmentEnum, resolve: (card) => card.segment }),
    programs: t.field({ type: [ProgramEnum], resolve: (card) => card.programs }),
    status: t.field({
      type: ParticipantStatusEnum,
      resolve: (card, _args, ctx) => membershipStatus(card.paidThrough, ctx.clock.now()),
    }),
    paidThrough: t.field({
      type: "Month",
      nullable: true,
      description: "The last month covered by settled contributions.",
      resolve: (card) => card.paidThrough,
    }),
    issuedOn: t.field({
      type: "Date",
      description: "The day the membership (and so the card) began.",
      resolve: (card) => card.startedOn,
    }),
    validUntil: t.field({
      type: "Date",
      nullable: true,
      description:
        "The last day the card protects: the end of the paid-through month's grace period, after which the status turns INACTIVE; null before the first payment.",
      resolve: (card) => cardValidUntil(card.paidThrough),
    }),
    verificationCode: t.field({
      type: MembershipCardCode,
      nullable: true,
      description: `A fresh code for the card's QR, valid ${hours} hours. Null with a MISCONFIGURED error when the service has no signing key.`,
      resolve: (card, _args, ctx) => cardCode(ctx.env.cardSigningKeys, card, ctx.clock.now()),
    }),
    jhtSavings: t.field({
      type: JhtSavings,
      description: "The member's JHT contributions month by month, excluding investment return.",
      resolve: (card, _args, ctx) => jhtSavingsOf(ctx.db, card.participantId),
    }),
  }),
});

const MembershipCardStatusEnum = builder.enumType("MembershipCardStatus", {
  description:
    "VALID: our code, unexpired, its membership open. EXPIRED: our code past its expiry (checked before the membership). REVOKED: our code, its membership ended (an exit or a move to another segment). INVALID: not our code (tampered with, malformed, another key).",
  values: cardStatuses,
});

const VerifiedMembershipCard = builder.objectRef<VerifiedCard>("VerifiedMembershipCard").implement({
  description: "What a verifier sees of a VALID card: enough to recognise its holder (with their KTP), never the NIK.",
  fields: (t) => ({
    initials: t.exposeString("initials", { description: "The holder's initials: `S. R.` for Siti Rahayu." }),
    kpj: t.exposeString("maskedKpj", { description: "The last four digits of the KPJ number: `*******0013`." }),
    segment: t.field({ type: SegmentEnum, resolve: (card) => card.segment }),
    status: t.field({
      type: ParticipantStatusEnum,
      description: "Whether contributions are paid up: only ACTIVE and GRACE members are protected.",
      resolve: (card) => card.status,
    }),
    validUntil: t.field({
      type: "Date",
      nullable: true,
      description: "The last day the card protects as paid today; null before the first payment.",
      resolve: (card) => card.validUntil,
    }),
  }),
});

const MembershipCardVerification = builder.objectRef<CardVerification>("MembershipCardVerification").implement({
  fields: (t) => ({
    status: t.field({ type: MembershipCardStatusEnum, resolve: (answer) => answer.status }),
    message: t.string({
      description: "What the status means, for the verifier's screen, in the request's language.",
      resolve: (answer) => say(`CARD_STATUS.${answer.status}`),
    }),
    card: t.field({
      type: VerifiedMembershipCard,
      nullable: true,
      description: "Only when VALID: a code that no longer vouches for its holder describes no one.",
      resolve: (answer) => answer.card,
    }),
    codeExpiresAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the code stops (or stopped) being accepted; null when INVALID.",
      resolve: (answer) => answer.codeExpiresAt?.toISOString() ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  myMembership: t.field({
    type: MembershipCard,
    nullable: true,
    description:
      "The signed-in member's card (PARTICIPANT tokens only), with a verification code for its QR and their JHT savings; null when no membership is open (after an exit).",
    authScopes: { action: "membership:readOwnCard" },
    resolve: (_root, _args, ctx) => ownCard(ctx),
  }),
  verifyMembershipCard: t.field({
    type: MembershipCardVerification,
    description: `Checks a card's QR code; public (no credential). At most ${CARD_VERIFICATION_LIMIT.requests} checks every ${CARD_VERIFICATION_LIMIT.periodSeconds} seconds per client (API key, token or address), then RATE_LIMITED.`,
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { code: t.arg.string({ required: true, description: "The string the QR code holds." }) },
    resolve: (_root, args, ctx) =>
      verifyCard(
        ctx,
        { keys: ctx.env.cardSigningKeys, limiter: ctx.cardVerifyLimiter, rateLimitKey: ctx.rateLimitKey },
        args.code,
      ),
  }),
}));
