import { z } from "zod";
import { sha256Hex } from "../../shared/digest";
import { type UserError, userError, zodUserErrors } from "../../shared/errors";
import { idempotencyScopeOf } from "../access/rules";
import { audited, rejection } from "../audit/service";
import { recordBulkRegistrations, recordSponsorshipEnrolled } from "../events/outbox";
import { checkRegistration, describesRegisteredWorker, lookupsNeeded } from "../participants/registration";
import type { ServiceContext } from "../participants/service";
import {
  attachSponsor,
  creditableRegistrantIds,
  findParticipantsByNiks,
  insertParticipantsSkippingTaken,
  type ParticipantRow,
  regionLevels,
} from "../participants/store";
import type { participants } from "../participants/tables";
import type { RegisterParticipantInput } from "../participants/validation";
import { idempotencyKey } from "../payments/validation";
import { mayActForSponsor } from "../sponsors/service";
import { lockSponsorship, type SponsorshipRow } from "../sponsors/store";
import { alreadyEnrolled, countActiveEnrollments, enroll, findEnrollmentBatch, insertEnrollmentBatch } from "./store";
import type { EnrollmentReport, EnrollmentRowStatus } from "./tables";

/** The most rows one call (or one CSV file) may carry. */
export const MAX_ENROLLMENT_ROWS = 10_000;

export interface EnrollSponsoredParticipantsInput {
  sponsorshipId: number;
  participants: RegisterParticipantInput[];
  idempotencyKey: string;
}

export interface EnrollmentResult {
  sponsorship: SponsorshipRow | null;
  report: EnrollmentReport | null;
  userErrors: UserError[];
}

const requestShape = z.object({
  sponsorshipId: z.number().int().positive(),
  participants: z
    .array(z.unknown())
    .min(1, "Send at least one participant")
    .max(MAX_ENROLLMENT_ROWS, `At most ${MAX_ENROLLMENT_ROWS} participants per call`),
  idempotencyKey,
});

/**
 * Sertakan bulk enrollment. Every row is checked exactly as registerParticipant checks one worker;
 * valid rows are enrolled (new workers created, workers already registered attached), invalid rows
 * are reported with their index and field, and every row ends in the report: nothing is dropped.
 * A retry with the same idempotency key answers the first report and changes nothing.
 */
export async function enrollSponsoredParticipants(
  ctx: ServiceContext,
  raw: EnrollSponsoredParticipantsInput,
): Promise<EnrollmentResult> {
  const viewer = ctx.viewer;
  const now = ctx.clock.now();
  return audited<EnrollmentResult>(ctx, "enrollSponsoredParticipants", async (tx) => {
    // A whole-file refusal may repeat a code per row: the audit keeps each code once.
    const rejected = (userErrors: UserError[], sponsorship: SponsorshipRow | null = null) => ({
      ...rejection({ sponsorship, report: null, userErrors }, sponsorship ? [`sponsorship:${sponsorship.id}`] : []),
      details: { codes: [...new Set(userErrors.map((e) => e.code))] },
    });
    const shape = requestShape.safeParse(raw);
    if (!shape.success) return rejected(zodUserErrors(shape.error, ["input"]));
    // Holding the sponsorship's lock makes capacity checks and key replays exact under concurrency.
    const sponsorship = await lockSponsorship(tx, raw.sponsorshipId);
    // Another sponsor's sponsorship is answered as one that does not exist: ids cannot be probed.
    if (!sponsorship || !mayActForSponsor(viewer, sponsorship.sponsorId)) {
      const answer = rejected([userError("NOT_FOUND", "No sponsorship has this id", ["input", "sponsorshipId"])]);
      return sponsorship
        ? {
            ...answer,
            targetIds: [`sponsorship:${sponsorship.id}`],
            details: { codes: ["NOT_FOUND"], refused: "FORBIDDEN" },
          }
        : answer;
    }

    const fingerprint = await sha256Hex(
      JSON.stringify([viewer.kind === "user" ? viewer.subject : "", raw.sponsorshipId, raw.participants], (_k, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    );
    const earlier = await findEnrollmentBatch(tx, idempotencyScopeOf(viewer), raw.idempotencyKey);
    if (earlier) {
      if (earlier.requestFingerprint !== fingerprint || earlier.sponsorshipId !== sponsorship.id) {
        return rejected(
          [
            userError("IDEMPOTENCY_KEY_REUSED", "This idempotency key was used for a different enrollment", [
              "input",
              "idempotencyKey",
            ]),
          ],
          sponsorship,
        );
      }
      return {
        result: { sponsorship, report: earlier.result, userErrors: earlier.result.userErrors },
        targetIds: [`sponsorship:${sponsorship.id}`],
        outcome: "REPLAYED",
      };
    }

    const rows = raw.participants;
    const needed = lookupsNeeded(rows, now, viewer);
    const lookups = {
      regionLevels: await regionLevels(tx, needed.regionCodes),
      creditableRegistrantIds: await creditableRegistrantIds(tx, needed.participantIds, viewer),
    };
    const statuses: { status: EnrollmentRowStatus; participantId: number | null }[] = rows.map(() => ({
      status: "REJECTED",
      participantId: null,
    }));
    const userErrors: UserError[] = [];
    const valid: { index: number; row: typeof participants.$inferInsert }[] = [];
    const firstRowOfNik = new Map<string, number>();
    rows.forEach((input, index) => {
      const field = ["input", "participants", String(index)];
      const checked = checkRegistration(input, now, viewer, lookups, field);
      if (!checked.row) {
        userErrors.push(...checked.errors);
        return;
      }
      const first = firstRowOfNik.get(checked.row.nik);
      if (first !== undefined) {
        userErrors.push(userError("DUPLICATE_ROW", `The same NIK is in row ${first}`, [...field, "nik"]));
        return;
      }
      firstRowOfNik.set(checked.row.nik, index);
      valid.push({ index, row: { ...checked.row, sponsorId: sponsorship.sponsorId } });
    });

    const existing = await findParticipantsByNiks(
      tx,
      valid.map((v) => v.row.nik),
    );
    const enrolledBefore = await alreadyEnrolled(
      tx,
      sponsorship.id,
      [...existing.values()].map((p) => p.id),
    );
    let capacity = sponsorship.maxParticipants - (await countActiveEnrollments(tx, sponsorship.id));
    const toCreate: { index: number; row: typeof participants.$inferInsert }[] = [];
    const toAttach: { index: number; participant: ParticipantRow }[] = [];
    const notThisWorker = (field: string[]) =>
      userError("NIK_MISMATCH", "The name does not match the worker registered with this NIK", [...field, "fullName"]);
    for (const entry of valid) {
      const field = ["input", "participants", String(entry.index)];
      const holder = existing.get(entry.row.nik);
      // Checked first: a row that does not describe the registered worker learns nothing about them.
      if (holder && !describesRegisteredWorker(entry.row, holder)) {
        userErrors.push(notThisWorker(field));
        continue;
      }
      if (holder && enrolledBefore.has(holder.id)) {
        statuses[entry.index] = { status: "ALREADY_ENROLLED", participantId: holder.id };
        continue;
      }
      if (holder && holder.sponsorId !== null && holder.sponsorId !== sponsorship.sponsorId) {
        userErrors.push(
          userError("SPONSORED_ELSEWHERE", "This worker is already sponsored by another sponsor", [...field, "nik"]),
        );
        continue;
      }
      if (capacity <= 0) {
        userErrors.push(
          userError(
            "CAPACITY_EXCEEDED",
            `The sponsorship covers at most ${sponsorship.maxParticipants} workers`,
            field,
          ),
        );
        continue;
      }
      capacity -= 1;
      if (holder) toAttach.push({ index: entry.index, participant: holder });
      else toCreate.push(entry);
    }

    const created = new Map(
      (
        await insertParticipantsSkippingTaken(
          tx,
          toCreate.map((entry) => entry.row),
        )
      ).map((row) => [row.nik, row.id]),
    );
    // A NIK registered by someone else since the lookup: attach that worker instead of failing the file.
    const lateArrivals = await findParticipantsByNiks(
      tx,
      toCreate.filter((entry) => !created.has(entry.row.nik)).map((entry) => entry.row.nik),
    );
    for (const entry of toCreate) {
      const id = created.get(entry.row.nik);
      if (id !== undefined) statuses[entry.index] = { status: "CREATED", participantId: id };
      else {
        const late = lateArrivals.get(entry.row.nik);
        if (late && describesRegisteredWorker(entry.row, late))
          toAttach.push({ index: entry.index, participant: late });
        else if (late) userErrors.push(notThisWorker(["input", "participants", String(entry.index)]));
      }
    }
    for (const entry of toAttach) statuses[entry.index] = { status: "ATTACHED", participantId: entry.participant.id };
    await attachSponsor(
      tx,
      toAttach.map((entry) => entry.participant.id),
      sponsorship.sponsorId,
    );
    await enroll(tx, sponsorship.id, [...created.values(), ...toAttach.map((entry) => entry.participant.id)]);

    const count = (status: EnrollmentRowStatus) => statuses.filter((s) => s.status === status).length;
    const report: EnrollmentReport = {
      rows: statuses.map((s, index) => ({ index, ...s })),
      userErrors,
      created: count("CREATED"),
      attached: count("ATTACHED"),
      alreadyEnrolled: count("ALREADY_ENROLLED"),
      rejected: count("REJECTED"),
    };
    await recordBulkRegistrations(tx, [...created.values()]);
    await recordSponsorshipEnrolled(tx, sponsorship, {
      enrolled: report.created + report.attached,
      created: report.created,
      rejected: report.rejected,
    });
    await insertEnrollmentBatch(tx, {
      sponsorshipId: sponsorship.id,
      idempotencyScope: idempotencyScopeOf(viewer),
      idempotencyKey: raw.idempotencyKey,
      requestFingerprint: fingerprint,
      result: report,
    });
    return {
      result: { sponsorship, report, userErrors },
      targetIds: [`sponsorship:${sponsorship.id}`],
      outcome: "SUCCEEDED",
      details: {
        rows: rows.length,
        created: report.created,
        attached: report.attached,
        alreadyEnrolled: report.alreadyEnrolled,
        rejected: report.rejected,
      },
    };
  });
}
