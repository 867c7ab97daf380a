import type { ServiceContext } from "../../context";
import type { Executor, Transaction } from "../../db/client";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { normalizeIndonesianPhone } from "../../shared/phone";
import { may } from "../access/actions";
import { audited, rejection } from "../audit/service";
import {
  addSpending,
  findSponsor,
  findSponsorship,
  insertSponsor,
  insertSponsorship,
  lockSponsorship,
  type SponsorRow,
  type SponsorshipRow,
  updateSponsorship,
} from "./store";
import {
  type CreateSponsorInput,
  type CreateSponsorshipInput,
  createSponsorInput,
  createSponsorshipInput,
  type SetSponsorshipBudgetInput,
  setSponsorshipBudgetInput,
} from "./validation";

export interface CreateSponsorResult {
  sponsor: SponsorRow | null;
  /** The sponsor's login: an API key acting as SPONSOR for this sponsor only. Shown once, stored hashed. */
  apiKey: string | null;
  userErrors: UserError[];
}

/**
 * Makes the new sponsor's login inside the sign-up's transaction. Keys are made by the credentials
 * module, which passes this in (sponsors do not know how keys are made).
 */
export type IssueSponsorLogin = (
  tx: Transaction,
  sponsor: SponsorRow,
  now: Date,
) => Promise<{ key: string; prefix: string }>;

export async function createSponsor(
  ctx: ServiceContext,
  raw: CreateSponsorInput,
  issueLogin: IssueSponsorLogin,
): Promise<CreateSponsorResult> {
  if (!may(ctx.viewer, "sponsor:signUp")) throw forbidden(msg("FORBIDDEN.signUpSponsor"));
  return audited<CreateSponsorResult>(ctx, "createSponsor", async (tx) => {
    const parsed = createSponsorInput.safeParse(raw);
    const errors = parsed.success ? [] : zodUserErrors(parsed.error, ["input"]);
    const phone =
      parsed.success && parsed.data.contactPhone ? normalizeIndonesianPhone(parsed.data.contactPhone) : null;
    if (parsed.success && parsed.data.contactPhone && !phone) {
      errors.push(userError("INVALID_PHONE", msg("INVALID_PHONE.contact"), ["input", "contactPhone"]));
    }
    if (!parsed.success || errors.length > 0) {
      return rejection({ sponsor: null, apiKey: null, userErrors: errors });
    }
    const sponsor = await insertSponsor(tx, {
      name: parsed.data.name,
      kind: parsed.data.kind,
      program: parsed.data.program,
      contactEmail: parsed.data.contactEmail ?? null,
      contactPhone: phone,
      createdAt: ctx.clock.now().toISOString(),
    });
    const key = await issueLogin(tx, sponsor, ctx.clock.now());
    return {
      result: { sponsor, apiKey: key.key, userErrors: [] },
      targetIds: [`sponsor:${sponsor.id}`, `api-key:${key.prefix}`],
      outcome: "SUCCEEDED",
    };
  });
}

/** What createSponsorship and setSponsorshipBudget answer: the sponsorship, or why not. */
export interface SponsorshipResult {
  sponsorship: SponsorshipRow | null;
  userErrors: UserError[];
}

export async function createSponsorship(ctx: ServiceContext, raw: CreateSponsorshipInput): Promise<SponsorshipResult> {
  return audited<SponsorshipResult>(ctx, "createSponsorship", async (tx) => {
    const rejected = (userErrors: UserError[]) => rejection({ sponsorship: null, userErrors });
    const parsed = createSponsorshipInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    if (!may(ctx.viewer, "sponsor:actFor", { sponsorId: input.sponsorId }))
      throw forbidden(msg("FORBIDDEN.ownSponsorships"));
    if (!(await findSponsor(tx, input.sponsorId))) {
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.sponsor"), ["input", "sponsorId"])]);
    }
    // Money is the agency's to commit: a sponsor's own figure waits as a request until ADMIN sets it.
    const agency = may(ctx.viewer, "sponsorship:fund");
    const sponsorship = await insertSponsorship(tx, {
      ...input,
      budget: agency ? input.budget : 0n,
      requestedBudget: agency ? null : input.budget,
      createdAt: ctx.clock.now().toISOString(),
    });
    return {
      result: { sponsorship, userErrors: [] },
      targetIds: [`sponsorship:${sponsorship.id}`, `sponsor:${input.sponsorId}`],
      outcome: "SUCCEEDED",
      details: { budget: input.budget.toString(), maxParticipants: input.maxParticipants },
    };
  });
}

/** The agency (ADMIN or sponsors:write) sets or raises a sponsorship's budget; never below what is committed. */
export async function setSponsorshipBudget(
  ctx: ServiceContext,
  raw: SetSponsorshipBudgetInput,
): Promise<SponsorshipResult> {
  if (!may(ctx.viewer, "sponsorship:fund")) throw forbidden(msg("FORBIDDEN.budget"));
  return audited<SponsorshipResult>(ctx, "setSponsorshipBudget", async (tx) => {
    const parsed = setSponsorshipBudgetInput.safeParse(raw);
    if (!parsed.success) return rejection({ sponsorship: null, userErrors: zodUserErrors(parsed.error, ["input"]) });
    const input = parsed.data;
    const sponsorship = await lockSponsorship(tx, input.sponsorshipId);
    if (!sponsorship) {
      return rejection({
        sponsorship: null,
        userErrors: [userError("NOT_FOUND", msg("NOT_FOUND.sponsorship"), ["input", "sponsorshipId"])],
      });
    }
    if (input.budget < sponsorship.spent) {
      return rejection(
        {
          sponsorship: null,
          userErrors: [
            userError("BUDGET_BELOW_SPENT", msg("BUDGET_BELOW_SPENT.spent", { spent: sponsorship.spent }), [
              "input",
              "budget",
            ]),
          ],
        },
        [`sponsorship:${sponsorship.id}`],
      );
    }
    const updated = await updateSponsorship(tx, sponsorship.id, { budget: input.budget, requestedBudget: null });
    return {
      result: { sponsorship: updated, userErrors: [] },
      targetIds: [`sponsorship:${sponsorship.id}`],
      outcome: "SUCCEEDED",
      details: { before: sponsorship.budget.toString(), after: input.budget.toString() },
    };
  });
}

/**
 * What other modules use of sponsorships inside their own transactions (enrollment, batch
 * payment): the row, locked until their transaction ends while they decide against its budget,
 * and the spending they commit recorded against it.
 */
export function sponsorshipById(db: Executor, id: number): Promise<SponsorshipRow | undefined> {
  return findSponsorship(db, id);
}

export function lockSponsorshipForSpending(tx: Transaction, id: number): Promise<SponsorshipRow | null> {
  return lockSponsorship(tx, id);
}

export function recordSponsorshipSpending(tx: Transaction, id: number, amount: bigint): Promise<void> {
  return addSpending(tx, id, amount);
}
export type { SponsorshipRow } from "./store";
