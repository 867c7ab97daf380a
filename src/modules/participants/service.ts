import type { ServiceContext } from "../../context";
import type { Executor, Transaction } from "../../db/client";
import { wibDate } from "../../shared/calendar";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { normalizeIndonesianPhone } from "../../shared/phone";
import { may } from "../access/actions";
import { inRegion, type Viewer } from "../access/rules";
import { audited, rejection } from "../audit/service";
import { canSeeParticipant } from "./conditions";
import { recordParticipantEvent } from "./events";
import { exitReasonSources } from "./exit-reasons";
import { findOccupation } from "./occupations";
import { checkRegistration, enrollmentErrors, lookupsNeeded, type RegistrationLookups } from "./registration";
import * as store from "./store";
import { findParticipantByNik, insertParticipant, type MembershipRow, type ParticipantRow } from "./store";
import type { participants } from "./tables";
import { type RegisterParticipantInput, type UpdateParticipantInput, updateParticipantInput } from "./validation";

/** A participant the viewer may see, for other modules' services; null for any other id. */
export async function findVisibleParticipant(db: Executor, viewer: Viewer, id: number): Promise<ParticipantRow | null> {
  const participant = await findParticipant(db, id);
  return participant && canSeeParticipant(viewer, participant) ? participant : null;
}

export interface RegisterParticipantResult {
  participant: ParticipantRow | null;
  /** Set with NIK_ALREADY_REGISTERED when the caller may see the participant who holds the NIK. */
  existingParticipant: ParticipantRow | null;
  userErrors: UserError[];
}

async function villageError(tx: Transaction, villageCode: string): Promise<UserError | null> {
  const levels = await regionLevels(tx, [villageCode]);
  return levels.get(villageCode) === "VILLAGE"
    ? null
    : userError("INVALID_VILLAGE", msg("INVALID_VILLAGE.code", { code: villageCode }), ["input", "villageCode"]);
}

/**
 * Registers a worker (often by someone else: Nyalakan). Every problem with the input is reported
 * at once, field by field; nothing is written unless all pass. A NIK registered before, even by a
 * concurrent request, is reported as NIK_ALREADY_REGISTERED.
 */
export async function registerParticipant(
  ctx: ServiceContext,
  raw: RegisterParticipantInput,
): Promise<RegisterParticipantResult> {
  if (!may(ctx.viewer, "participant:register")) throw forbidden(msg("FORBIDDEN.register"));
  const viewer = ctx.viewer;
  const now = ctx.clock.now();
  return audited<RegisterParticipantResult>(ctx, "registerParticipant", async (tx) => {
    const rejected = (userErrors: UserError[], existingParticipant: ParticipantRow | null = null) =>
      rejection(
        { participant: null, existingParticipant, userErrors },
        existingParticipant ? [`participant:${existingParticipant.id}`] : [],
      );
    const needed = lookupsNeeded([raw], now, viewer);
    const lookups: RegistrationLookups = {
      regionLevels: await regionLevels(tx, needed.regionCodes),
      creditableRegistrantIds: await creditableRegistrantIds(tx, needed.participantIds, viewer),
    };
    const checked = checkRegistration(raw, now, viewer, lookups, ["input"]);
    if (!checked.row) return rejected(checked.errors);
    const input = checked.row;
    if (viewer.kind === "user" && viewer.role === "OFFICER" && !inRegion(input.villageCode, viewer.regionCode ?? "-")) {
      throw forbidden(msg("FORBIDDEN.officerRegister", { region: viewer.regionCode ?? "" }));
    }
    const created = await insertParticipant(tx, input);
    if (!created) {
      const existing = await findParticipantByNik(tx, input.nik);
      if (existing && existing.exitedOn !== null) {
        // A former member comes back: the same person, a new membership, the history kept.
        const former = await lockParticipant(tx, existing.id);
        if (former && former.exitedOn !== null) {
          // Who died does not come back, nor does a record merged into another (its person has one).
          const history = await store.membershipsOf(tx, former.id);
          const reason =
            former.mergedIntoId !== null
              ? "DUPLICATE"
              : history.find((membership) => membership.endedOn === former.exitedOn)?.endReason;
          if (reason && reason !== "MOVED_SEGMENT" && !exitReasonSources[reason].mayReturn) {
            const message = reason === "DEATH" ? "PARTICIPANT_EXITED.deceased" : "PARTICIPANT_EXITED.merged";
            return rejected([
              userError("PARTICIPANT_EXITED", msg(message, { exitedOn: former.exitedOn }), ["input", "nik"]),
            ]);
          }
          const returned = await returnParticipant(tx, former, input, now);
          return {
            result: { participant: returned, existingParticipant: null, userErrors: [] },
            targetIds: [`participant:${returned.id}`],
            outcome: "SUCCEEDED",
            details: { returned: true, exitedOn: former.exitedOn },
          };
        }
      }
      return rejected(
        [userError("NIK_ALREADY_REGISTERED", msg("NIK_ALREADY_REGISTERED"), ["input", "nik"])],
        existing && canSeeParticipant(viewer, existing) ? existing : null,
      );
    }
    await recordParticipantEvent(tx, "participant.registered", created, now);
    return {
      result: { participant: created, existingParticipant: null, userErrors: [] },
      targetIds: [`participant:${created.id}`],
      outcome: "SUCCEEDED",
    };
  });
}

/**
 * Opens a new membership for a former member registering again: the registration's details (work,
 * place, income, programs, who registered them) replace the old ones, the registration date and
 * every past membership and payment stay, and they are a member from today. Emits
 * `participant.returned`, which partners and the dashboard count as won back.
 */
async function returnParticipant(
  tx: Transaction,
  former: ParticipantRow,
  input: typeof participants.$inferInsert,
  now: Date,
): Promise<ParticipantRow> {
  const { nik: _nik, registeredAt: _registeredAt, birthDate: _birthDate, sex: _sex, ...details } = input;
  const returned = await store.updateParticipantRow(tx, former.id, { ...details, exitedOn: null }, now);
  if (!returned) throw new Error(`participant ${former.id} vanished under its lock`);
  await store.insertMembership(tx, {
    participantId: returned.id,
    segment: returned.segment,
    programs: returned.programs,
    startedOn: wibDate(now),
    openReason: "RETURN",
  });
  await recordParticipantEvent(tx, "participant.returned", returned, now, { exitedOn: former.exitedOn });
  return returned;
}

export interface UpdateParticipantResult {
  participant: ParticipantRow | null;
  userErrors: UserError[];
}

const updatableFields = [
  "phone",
  "occupation",
  "riskLevel",
  "ecosystemCode",
  "villageCode",
  "reportedMonthlyIncome",
  "programs",
] as const;

/** Changes contact, occupation, ecosystem, village, income or programs, validated as at registration; the audit row keeps before and after. */
export async function updateParticipant(
  ctx: ServiceContext,
  raw: UpdateParticipantInput,
): Promise<UpdateParticipantResult> {
  if (!may(ctx.viewer, "participant:update")) throw forbidden(msg("FORBIDDEN.update"));
  const viewer = ctx.viewer;
  return audited<UpdateParticipantResult>(ctx, "updateParticipant", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection({ participant: null, userErrors }, targetIds);
    const parsed = updateParticipantInput.safeParse(raw);
    if (!parsed.success) return rejected(zodUserErrors(parsed.error, ["input"]));
    const input = parsed.data;
    const current = await findParticipant(tx, input.id);
    // A participant the caller may not see does not exist for them.
    if (!current || !canSeeParticipant(viewer, current)) {
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "id"])]);
    }
    const target = [`participant:${current.id}`];
    const errors = enrollmentErrors(current.segment, input, ["input"]);
    if (input.villageCode !== undefined) {
      const problem = await villageError(tx, input.villageCode);
      if (problem) errors.push(problem);
    }
    if (errors.length > 0) return rejected(errors, target);
    if (
      viewer.kind === "user" &&
      viewer.role === "OFFICER" &&
      input.villageCode !== undefined &&
      !inRegion(input.villageCode, viewer.regionCode ?? "-")
    ) {
      throw forbidden(msg("FORBIDDEN.officerKeep", { region: viewer.regionCode ?? "" }));
    }

    const occupation = input.occupation !== undefined ? findOccupation(input.occupation) : undefined;
    const next = {
      ...(input.phone !== undefined ? { phone: input.phone ? normalizeIndonesianPhone(input.phone) : null } : {}),
      ...(occupation ? { occupation: occupation.name, riskLevel: occupation.riskLevel } : {}),
      ...(input.ecosystem !== undefined ? { ecosystemCode: input.ecosystem } : {}),
      ...(input.villageCode !== undefined ? { villageCode: input.villageCode } : {}),
      ...(input.reportedMonthlyIncome !== undefined ? { reportedMonthlyIncome: input.reportedMonthlyIncome } : {}),
      ...(input.programs !== undefined ? { programs: input.programs } : {}),
    };
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of updatableFields) {
      if (!(field in next)) continue;
      const from = current[field];
      const to = next[field as keyof typeof next];
      if (JSON.stringify(from, bigintJson) !== JSON.stringify(to, bigintJson)) {
        changes[field] = { from: jsonSafe(from), to: jsonSafe(to) };
      }
    }
    const updated =
      Object.keys(changes).length > 0 ? await updateParticipantRow(tx, current.id, next, ctx.clock.now()) : current;
    if (updated && updated !== current) {
      await recordParticipantEvent(tx, "participant.updated", updated, ctx.clock.now(), {
        changedFields: Object.keys(changes),
      });
    }
    return {
      result: { participant: updated, userErrors: [] },
      targetIds: target,
      outcome: "SUCCEEDED",
      details: { changes },
    };
  });
}

function bigintJson(_key: string, value: unknown) {
  return typeof value === "bigint" ? value.toString() : value;
}

function jsonSafe(value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

// What other modules use of participants inside their own transactions: payments lock a
// participant and move its paid-through month; sponsored enrollment looks workers up by NIK,
// creates them in bulk (the rows checked by `checkRegistration`, as registration does) and
// attaches them to a sponsor; the dashboard names regions. The store stays this module's own.

export type { ParticipantRow };

/** A participant as stored; no visibility check (the caller decides what it may show). */
export function findParticipant(db: Executor, id: number): Promise<ParticipantRow | undefined> {
  return store.findParticipant(db, id);
}

/** A participant, its row locked until the caller's transaction ends: one settlement at a time. */
export function lockParticipant(tx: Transaction, id: number): Promise<ParticipantRow | null> {
  return store.lockParticipant(tx, id);
}

/** Writes a participant's changed columns (a settlement's paid-through month, say), stamped `at`. */
export function updateParticipantRow(
  db: Executor,
  id: number,
  changes: Parameters<typeof store.updateParticipantRow>[2],
  at: Date,
): Promise<ParticipantRow | null> {
  return store.updateParticipantRow(db, id, changes, at);
}

/** The participants already registered under these NIKs, by NIK. */
export function findParticipantsByNiks(db: Executor, niks: string[]): Promise<Map<string, ParticipantRow>> {
  return store.findParticipantsByNiks(db, niks);
}

/** Creates checked registrations in bulk; a NIK registered meanwhile is skipped, not an error. */
export function insertParticipantsSkippingTaken(
  tx: Transaction,
  rows: Parameters<typeof store.insertParticipantsSkippingTaken>[1],
): Promise<{ id: number; nik: string }[]> {
  return store.insertParticipantsSkippingTaken(tx, rows);
}

/** Puts workers under a sponsor (Sertakan enrollment). */
export function attachSponsor(tx: Transaction, ids: number[], sponsorId: number, at: Date): Promise<void> {
  return store.attachSponsor(tx, ids, sponsorId, at);
}

/** Of these registrants (Nyalakan), those whose registrations the viewer may credit. */
export function creditableRegistrantIds(db: Executor, ids: number[], viewer: Viewer): Promise<Set<number>> {
  return store.creditableRegistrantIds(db, ids, viewer);
}

/** Which of these region codes exist, with their levels. */
export function regionLevels(db: Executor, codes: string[]): Promise<Map<string, string>> {
  return store.regionLevels(db, codes);
}

// Memberships, for the module that moves members between segments and records exits
// (membership-changes): it holds the participant's lock while it calls these.

export type { MembershipRow };

/** A participant's open memberships (one per segment at most), newest first. */
export function openMemberships(db: Executor, participantId: number): Promise<MembershipRow[]> {
  return store.openMemberships(db, participantId);
}

/** A participant's memberships, newest first. */
export function membershipsOf(db: Executor, participantId: number): Promise<MembershipRow[]> {
  return store.membershipsOf(db, participantId);
}

/** Ends open memberships on a day for a reason. */
export function endMemberships(
  tx: Transaction,
  ids: number[],
  end: Parameters<typeof store.endMemberships>[2],
): Promise<MembershipRow[]> {
  return store.endMemberships(tx, ids, end);
}

/** Opens ended memberships again (a death report withdrawn). */
export function reopenMemberships(tx: Transaction, ids: number[]): Promise<MembershipRow[]> {
  return store.reopenMemberships(tx, ids);
}

/** Opens a membership with a new KPJ number. */
export function insertMembership(
  tx: Transaction,
  row: Parameters<typeof store.insertMembership>[1],
): Promise<MembershipRow> {
  return store.insertMembership(tx, row);
}

/** Ends every sponsorship still covering the worker (a move to PU: the employer pays now). */
export function endSponsorshipsOf(tx: Transaction, participantId: number, endedOn: string): Promise<number[]> {
  return store.endSponsorshipsOf(tx, participantId, endedOn);
}

/** Whether programs, income and occupation suit a segment, as at registration. */
export { enrollmentErrors };

/** Records what the civil registry decided of these participants (the identity module's consumer). */
export function setIdentityStatuses(
  tx: Transaction,
  decisions: Parameters<typeof store.setIdentityStatuses>[1],
  at: Date,
): Promise<ParticipantRow[]> {
  return store.setIdentityStatuses(tx, decisions, at);
}

/**
 * Moves a duplicate's referrals (Nyalakan credit) and its memberships (ended first) to the record
 * kept: the identity module's merge, inside its transaction, both rows locked.
 */
export function moveRecordsTo(tx: Transaction, fromId: number, toId: number, at: Date): Promise<void> {
  return store.moveRecordsTo(tx, fromId, toId, at);
}
