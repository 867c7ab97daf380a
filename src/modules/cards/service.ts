import { GraphQLError } from "graphql";
import type { ServiceContext } from "../../context";
import type { Executor } from "../../db/client";
import type { RateLimiter } from "../../http/rate-limit";
import { AccessDenied, forbidden } from "../../shared/errors";
import { msg, render, say } from "../../shared/messages";
import { may } from "../access/actions";
import { maskKpj } from "../participants/masking";
import { membershipStatus, type ParticipantStatus } from "../participants/rules";
import { type CardCode, type CardSigningKey, checkCardCode, signCardCode } from "./card-code";
import {
  CARD_VERIFICATION_LIMIT,
  type CardStatus,
  cardValidUntil,
  initialsOf,
  type JhtSavings,
  jhtSavings,
} from "./rules";
import { type CardRow, cardByMembershipId, coveredMonthsWithPayments, openCardOf } from "./store";

export type { CardRow };

/** The caller's own card: their open membership and its holder; null when none is open (after an exit). */
export async function ownCard(ctx: ServiceContext): Promise<CardRow | null> {
  const { viewer } = ctx;
  if (!may(viewer, "membership:readOwnCard") || viewer.kind !== "user" || viewer.participantId === undefined) {
    throw forbidden(msg("FORBIDDEN.ownCard"));
  }
  return openCardOf(ctx.db, viewer.participantId);
}

/** Codes cannot be signed or checked without keys: said on the field, the rest of the answer stands. */
function misconfigured(): GraphQLError {
  return new GraphQLError(say("MISCONFIGURED.bindings", { bindings: "CARD_SIGNING_KEYS" }), {
    extensions: { code: "MISCONFIGURED" },
  });
}

/** A fresh verification code for the card's membership, valid from `now` for a day. */
export function cardCode(keys: readonly CardSigningKey[], card: CardRow, now: Date): Promise<CardCode> {
  if (keys.length === 0) throw misconfigured();
  return signCardCode(keys, card.membershipId, now);
}

/** The member's JHT contributions month by month and their total (settled less refunded). */
export async function jhtSavingsOf(db: Executor, participantId: number): Promise<JhtSavings> {
  return jhtSavings(await coveredMonthsWithPayments(db, participantId));
}

/** What a verifier is shown of a card whose code is VALID: enough to recognise it, never the NIK. */
export interface VerifiedCard {
  initials: string;
  maskedKpj: string;
  segment: CardRow["segment"];
  status: ParticipantStatus;
  validUntil: string | null;
}

export interface CardVerification {
  status: CardStatus;
  /** Only when VALID. */
  card: VerifiedCard | null;
  /** When the code stops being accepted; known for VALID, REVOKED and EXPIRED codes (it is ours). */
  codeExpiresAt: Date | null;
}

/**
 * Checks a scanned code for anyone (no credential needed), within the caller's own limit: its
 * signature and expiry first, then whether the membership it names is still open. Only a VALID
 * code's holder is described, and only as much as recognising them needs.
 */
export async function verifyCard(
  ctx: ServiceContext,
  options: { keys: readonly CardSigningKey[]; limiter: RateLimiter; rateLimitKey: string },
  code: string,
): Promise<CardVerification> {
  const { success } = await options.limiter.limit({ key: `card:${options.rateLimitKey}` });
  if (!success) {
    throw new AccessDenied(
      "RATE_LIMITED",
      render(
        msg("RATE_LIMITED.cardVerification", {
          limit: CARD_VERIFICATION_LIMIT.requests,
          seconds: CARD_VERIFICATION_LIMIT.periodSeconds,
        }),
      ),
    );
  }
  if (options.keys.length === 0) throw misconfigured();
  const now = ctx.clock.now();
  const checked = await checkCardCode(options.keys, code, now);
  if (checked.outcome === "INVALID") return { status: "INVALID", card: null, codeExpiresAt: null };
  if (checked.outcome === "EXPIRED") return { status: "EXPIRED", card: null, codeExpiresAt: checked.expiresAt };
  const card = await cardByMembershipId(ctx.db, checked.membershipId);
  // A genuine code whose membership no longer exists (merged away) vouches for nothing.
  if (!card) return { status: "INVALID", card: null, codeExpiresAt: null };
  if (card.endedOn !== null) return { status: "REVOKED", card: null, codeExpiresAt: checked.expiresAt };
  return {
    status: "VALID",
    card: {
      initials: initialsOf(card.fullName),
      maskedKpj: maskKpj(card.kpj),
      segment: card.segment,
      status: membershipStatus(card.paidThrough, now),
      validUntil: cardValidUntil(card.paidThrough),
    },
    codeExpiresAt: checked.expiresAt,
  };
}
