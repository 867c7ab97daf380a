import type { z } from "zod";
import { type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { normalizeIndonesianPhone } from "../../shared/phone";
import type { Viewer } from "../access/rules";
import { incomeProblem, programProblem } from "../contributions/rules";
import type { Program } from "../contributions/tables";
import { currentDistrictCode } from "../regions/former-codes";
import { nikProblemMessages, parseNik } from "./nik";
import { findOccupation } from "./occupations";
import { ageProblem } from "./rules";
import type { participants, Segment } from "./tables";
import { type RegisterParticipantInput, registerParticipantInput } from "./validation";

/** What the database knows that a registration is checked against, looked up once for a whole batch. */
export interface RegistrationLookups {
  /** Region code → level, for the NIK districts and villages named. */
  regionLevels: ReadonlyMap<string, string>;
  /**
   * Registrant ids the caller may credit: themself, or a participant they may see. Any other id
   * (unknown, unseen or malformed) is answered alike, so ids cannot be probed through referrals.
   */
  creditableRegistrantIds: ReadonlySet<number>;
}

/** The region codes and registrant ids a set of registrations refers to. */
export function lookupsNeeded(rows: readonly RegisterParticipantInput[], now: Date, viewer: Viewer) {
  const regionCodes = new Set<string>();
  const participantIds = new Set<number>();
  for (const row of rows) {
    const nik = parseNik(String(row.nik ?? "").trim(), now);
    if ("districtCode" in nik) {
      regionCodes.add(nik.districtCode);
      regionCodes.add(currentDistrictCode(nik.districtCode));
    }
    if (typeof row.villageCode === "string") regionCodes.add(row.villageCode);
    if (typeof row.registeredById === "number") participantIds.add(row.registeredById);
  }
  // A participant registering someone becomes the registrant unless another is named.
  if (viewer.kind === "user" && viewer.participantId !== undefined) participantIds.add(viewer.participantId);
  return { regionCodes: [...regionCodes], participantIds: [...participantIds] };
}

function defaultChannel(viewer: Viewer): string {
  if (viewer.kind !== "user") return "UNKNOWN";
  if (viewer.role === "PARTICIPANT") return "JMO";
  if (viewer.role === "PARTNER") return "PARTNER";
  return viewer.role === "SPONSOR" ? "SERTAKAN" : "OFFICE";
}

/** Programs and income against the segment, occupation and phone: shared by registration and updates. */
export function enrollmentErrors(
  segment: Segment | undefined,
  values: { programs?: readonly Program[]; reportedMonthlyIncome?: bigint; occupation?: string; phone?: string | null },
  field: string[],
): UserError[] {
  const errors: UserError[] = [];
  if (values.programs && segment) {
    const problem = programProblem(segment, values.programs);
    if (problem) errors.push(userError(problem.code, problem.message, [...field, "programs"]));
  }
  if (values.reportedMonthlyIncome !== undefined && segment) {
    const problem = incomeProblem(segment, values.reportedMonthlyIncome);
    if (problem) errors.push(userError("INCOME_OUT_OF_RANGE", problem, [...field, "reportedMonthlyIncome"]));
  }
  if (values.occupation !== undefined && !findOccupation(values.occupation)) {
    errors.push(
      userError("UNKNOWN_OCCUPATION", msg("UNKNOWN_OCCUPATION.named", { occupation: values.occupation }), [
        ...field,
        "occupation",
      ]),
    );
  }
  if (values.phone && !normalizeIndonesianPhone(values.phone)) {
    errors.push(userError("INVALID_PHONE", msg("INVALID_PHONE"), [...field, "phone"]));
  }
  return errors;
}

type RegistrationFields = z.output<typeof registerParticipantInput>;

/** The fields of an input that has shape errors elsewhere which on their own have the right shape. */
function wellShapedFields(raw: RegisterParticipantInput): Partial<RegistrationFields> {
  const fields: Record<string, unknown> = {};
  const values = raw as Record<string, unknown>;
  for (const [key, schema] of Object.entries(registerParticipantInput.shape)) {
    const result = (schema as z.ZodType).safeParse(values[key]);
    if (result.success && result.data !== undefined) fields[key] = result.data;
  }
  return fields as Partial<RegistrationFields>;
}

/**
 * Every rule a registration must pass, without touching the database: one worker from
 * registerParticipant or one row of a sponsor's 10,000-row enrollment are checked alike. Returns
 * the row to insert, or every problem addressed under `field` (e.g. `["input", "participants", "12"]`).
 */
export function checkRegistration(
  raw: RegisterParticipantInput,
  now: Date,
  viewer: Viewer,
  lookups: RegistrationLookups,
  field: string[],
):
  | { row: typeof participants.$inferInsert & { villageCode: string }; errors: [] }
  | { row: null; errors: UserError[] } {
  // Shape and rules are judged together: every field that has the right shape is checked against
  // the rules, so one bad field never hides the others' problems.
  const parsed = registerParticipantInput.safeParse(raw);
  const errors: UserError[] = parsed.success ? [] : zodUserErrors(parsed.error, field);
  const input = parsed.success ? parsed.data : wellShapedFields(raw);
  const nik = input.nik === undefined ? null : parseNik(input.nik, now);
  if (nik && "problem" in nik) {
    errors.push(userError("INVALID_NIK", nikProblemMessages[nik.problem], [...field, "nik"]));
  } else if (nik) {
    if (input.birthDate && input.birthDate !== nik.birthDate) {
      errors.push(
        userError("NIK_MISMATCH", msg("NIK_MISMATCH.birthDate", { birthDate: nik.birthDate }), [...field, "birthDate"]),
      );
    }
    if (input.sex && input.sex !== nik.sex) {
      errors.push(userError("NIK_MISMATCH", msg(`NIK_MISMATCH.${nik.sex}`), [...field, "sex"]));
    }
    const age = ageProblem(nik.birthDate, input.segment ?? "", now);
    if (age) errors.push(userError("AGE_OUT_OF_RANGE", age, [...field, "nik"]));
    // A NIK keeps the district code it was issued under, even after a region split re-coded it.
    if (
      lookups.regionLevels.get(nik.districtCode) !== "DISTRICT" &&
      lookups.regionLevels.get(currentDistrictCode(nik.districtCode)) !== "DISTRICT"
    ) {
      errors.push(
        userError("INVALID_NIK", msg("INVALID_NIK.DISTRICT", { district: nik.districtCode }), [...field, "nik"]),
      );
    }
  }
  errors.push(...enrollmentErrors(input.segment, input, field));
  if (input.villageCode !== undefined && lookups.regionLevels.get(input.villageCode) !== "VILLAGE") {
    errors.push(
      userError("INVALID_VILLAGE", msg("INVALID_VILLAGE.code", { code: input.villageCode }), [...field, "villageCode"]),
    );
  }
  const registeredById = input.registeredById ?? (viewer.kind === "user" ? viewer.participantId : undefined) ?? null;
  if (registeredById !== null && !lookups.creditableRegistrantIds.has(registeredById)) {
    errors.push(userError("NOT_FOUND", msg("NOT_FOUND.registrant"), [...field, "registeredById"]));
  }
  if (!parsed.success || !nik || "problem" in nik) return { row: null, errors };
  const valid = parsed.data;
  if (errors.length > 0) return { row: null, errors };
  const occupation = findOccupation(valid.occupation);
  return {
    row: {
      nik: valid.nik,
      fullName: valid.fullName,
      birthDate: nik.birthDate,
      sex: nik.sex,
      phone: valid.phone ? normalizeIndonesianPhone(valid.phone) : null,
      segment: valid.segment,
      occupation: occupation?.name ?? valid.occupation,
      riskLevel: occupation?.riskLevel ?? "HIGH",
      ecosystemCode: valid.ecosystem,
      villageCode: valid.villageCode,
      reportedMonthlyIncome: valid.reportedMonthlyIncome,
      programs: valid.programs,
      registeredById,
      registeredBySubject: viewer.kind === "user" ? viewer.subject : null,
      channel: valid.channel ?? defaultChannel(viewer),
      // The injected clock, like every other date rule: cohorts and the first due date follow it.
      registeredAt: now.toISOString(),
      updatedAt: now.toISOString(),
    },
    errors: [],
  };
}

/** A name as people write it differently: case, accents, punctuation and spacing do not count. */
export function normalizedName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * Whether an enrollment row describes the worker already registered with its NIK: the same
 * normalised full name and the birth date the NIK encodes. A NIK alone is not enough to take a
 * worker into a sponsorship: NIKs are printed on documents that pass through many hands.
 */
export function describesRegisteredWorker(
  row: { fullName: string; birthDate: string },
  registered: { fullName: string; birthDate: string },
): boolean {
  return normalizedName(row.fullName) === normalizedName(registered.fullName) && row.birthDate === registered.birthDate;
}
