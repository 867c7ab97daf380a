import { z } from "zod";
import { says } from "../../shared/messages";
import { programs } from "../contributions/tables";
import { ecosystemCodes } from "../ecosystems/tables";
import { segments, sexes } from "./tables";

const VILLAGE_CODE = /^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$/;
/** Letters (any script), spaces and the punctuation found in Indonesian names. */
const PERSON_NAME = /^[\p{L}\p{M}][\p{L}\p{M} .,'-]*$/u;

// Which programs, how many and how often are rules (contributions' programProblem), checked with
// the segment, so an empty or repeated list gets its own code there, not a shape error here.
const programList = z.array(z.enum(programs));

const fields = {
  fullName: z
    .string()
    .trim()
    .min(2, says("INVALID_INPUT.fullNameShort"))
    .max(150, says("INVALID_INPUT.fullNameLong"))
    .regex(PERSON_NAME, says("INVALID_INPUT.fullNameLetters")),
  phone: z.string().trim().max(32, says("INVALID_INPUT.phoneLong")).nullish(),
  occupation: z.string().trim().min(2, says("INVALID_INPUT.occupationRequired")).max(120),
  ecosystem: z.enum(ecosystemCodes),
  villageCode: z.string().refine((code) => VILLAGE_CODE.test(code), {
    ...says("INVALID_VILLAGE.format"),
    params: { code: "INVALID_VILLAGE" },
  }),
  reportedMonthlyIncome: z.bigint(says("INVALID_INPUT.incomeWhole")).positive(says("INVALID_INPUT.incomePositive")),
  programs: programList,
};

/** registerParticipant's input; domain checks that need rules or the database follow in the service. */
export const registerParticipantInput = z.object({
  nik: z.string().trim(),
  ...fields,
  segment: z.enum(segments),
  channel: z
    .string()
    .trim()
    .regex(/^[A-Z0-9_]{2,40}$/, says("INVALID_INPUT.registrationChannel"))
    .nullish(),
  // Any integer: an id that names no participant the caller may credit is NOT_FOUND, however it looks.
  registeredById: z.number().int().nullish(),
  birthDate: z.string().nullish(),
  sex: z.enum(sexes).nullish(),
});
export type RegisterParticipantInput = z.input<typeof registerParticipantInput>;

/** updateParticipant's input: only what changes is given; NIK, name and birth data are fixed at registration. */
export const updateParticipantInput = z
  .object({
    // Any integer: an id that names no participant the caller may see is NOT_FOUND, however it looks.
    id: z.number().int(),
    phone: fields.phone,
    occupation: fields.occupation.optional(),
    ecosystem: fields.ecosystem.optional(),
    villageCode: fields.villageCode.optional(),
    reportedMonthlyIncome: fields.reportedMonthlyIncome.optional(),
    programs: programList.optional(),
  })
  .refine((input) => Object.keys(input).some((key) => key !== "id" && input[key as keyof typeof input] !== undefined), {
    ...says("INVALID_INPUT.nothingToChange"),
  });
export type UpdateParticipantInput = z.input<typeof updateParticipantInput>;
