import { z } from "zod";
import { says } from "../../shared/messages";
import { paymentTerms } from "../contributions/rules";
import { programs } from "../contributions/tables";
import { sponsorKinds, sponsorPrograms } from "./tables";

export const createSponsorInput = z.object({
  name: z.string().trim().min(2, says("INVALID_INPUT.sponsorName")).max(160),
  kind: z.enum(sponsorKinds),
  program: z.enum(sponsorPrograms),
  contactEmail: z.email(says("INVALID_INPUT.email")).max(254).nullish(),
  contactPhone: z.string().trim().max(32).nullish(),
});
export type CreateSponsorInput = z.input<typeof createSponsorInput>;

const isoDate = z.iso.date(says("INVALID_INPUT.date"));

export const createSponsorshipInput = z
  .object({
    sponsorId: z.number().int().positive(),
    programs: z
      .array(z.enum(programs))
      .min(1)
      .refine((list) => new Set(list).size === list.length, says("INVALID_INPUT.programOnce"))
      .refine((list) => list.includes("JKK") && list.includes("JKM"), says("INVALID_INPUT.jkkAndJkm"))
      // Sertakan pays for informal (BPU) workers, whose programs are JKK, JKM and JHT; JP and JKP
      // are wage earners' programs, paid through their employer (PP 45/2015; PP 37/2021).
      .refine((list) => list.every((p) => (sponsorablePrograms as readonly string[]).includes(p)), {
        ...says("PROGRAM_NOT_ALLOWED.sponsorship"),
        params: { code: "PROGRAM_NOT_ALLOWED" },
      }),
    monthsPerPeriod: z
      .number()
      .int()
      .refine((n) => (paymentTerms as readonly number[]).includes(n), says("INVALID_INPUT.period")),
    maxParticipants: z.number().int().min(1, says("INVALID_INPUT.atLeastOneWorker")).max(1_000_000),
    budget: z.bigint().positive(says("INVALID_INPUT.budgetPositive")),
    startsOn: isoDate,
    endsOn: isoDate,
  })
  .refine((input) => input.endsOn >= input.startsOn, {
    ...says("INVALID_INPUT.endsBeforeStart"),
    path: ["endsOn"],
  });
export type CreateSponsorshipInput = z.input<typeof createSponsorshipInput>;

/** The programs a sponsorship may pay: those open to BPU workers (Permenaker 5/2021). */
export const sponsorablePrograms = ["JKK", "JKM", "JHT"] as const;

export const setSponsorshipBudgetInput = z.object({
  sponsorshipId: z.number().int().positive(),
  budget: z.bigint().nonnegative(says("INVALID_INPUT.budgetNegative")),
});
export type SetSponsorshipBudgetInput = z.input<typeof setSponsorshipBudgetInput>;
