import { z } from "zod";
import { paymentTerms } from "../contributions/rules";
import { programs } from "../contributions/tables";
import { sponsorKinds, sponsorPrograms } from "./tables";

export const createSponsorInput = z.object({
  name: z.string().trim().min(2, "Name needs at least 2 characters").max(160),
  kind: z.enum(sponsorKinds),
  program: z.enum(sponsorPrograms),
  contactEmail: z.email("Contact email is not an email address").max(254).nullish(),
  contactPhone: z.string().trim().max(32).nullish(),
});
export type CreateSponsorInput = z.input<typeof createSponsorInput>;

const isoDate = z.iso.date("Use a calendar date, YYYY-MM-DD");

export const createSponsorshipInput = z
  .object({
    sponsorId: z.number().int().positive(),
    programs: z
      .array(z.enum(programs))
      .min(1)
      .refine((list) => new Set(list).size === list.length, "Each program may be listed once")
      .refine((list) => list.includes("JKK") && list.includes("JKM"), "A sponsorship covers at least JKK and JKM")
      // Sertakan pays for informal (BPU) workers, whose programs are JKK, JKM and JHT; JP and JKP
      // are wage earners' programs, paid through their employer (PP 45/2015; PP 37/2021).
      .refine((list) => list.every((p) => (sponsorablePrograms as readonly string[]).includes(p)), {
        message: "A sponsorship pays BPU programs only: JKK, JKM and JHT (JP and JKP are for wage earners)",
        params: { code: "PROGRAM_NOT_ALLOWED" },
      }),
    monthsPerPeriod: z
      .number()
      .int()
      .refine((n) => (paymentTerms as readonly number[]).includes(n), "A period is 1, 3, 6 or 12 months"),
    maxParticipants: z.number().int().min(1, "Cover at least one worker").max(1_000_000),
    budget: z.bigint().positive("The budget must be positive"),
    startsOn: isoDate,
    endsOn: isoDate,
  })
  .refine((input) => input.endsOn >= input.startsOn, {
    message: "endsOn must not be before startsOn",
    path: ["endsOn"],
  });
export type CreateSponsorshipInput = z.input<typeof createSponsorshipInput>;

/** The programs a sponsorship may pay: those open to BPU workers (Permenaker 5/2021). */
export const sponsorablePrograms = ["JKK", "JKM", "JHT"] as const;

export const setSponsorshipBudgetInput = z.object({
  sponsorshipId: z.number().int().positive(),
  budget: z.bigint().nonnegative("The budget cannot be negative"),
});
export type SetSponsorshipBudgetInput = z.input<typeof setSponsorshipBudgetInput>;
