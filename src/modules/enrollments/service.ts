import { z } from "zod";
import type { ServiceContext } from "../../context";
import type { Transaction } from "../../db/client";
import { sha256Hex } from "../../shared/digest";
import { type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import { idempotencyScopeOf } from "../access/rules";
import { audited, rejection } from "../audit/service";
import { checkRegistration, describesRegisteredWorker, lookupsNeeded } from "../participants/registration";
import {
  attachSponsor,
  creditableRegistrantIds,
  findParticipantsByNiks,
  insertParticipantsSkippingTaken,
  type ParticipantRow,
  regionLevels,
} from "../participants/service";
import type { participants } from "../participants/tables";
import type { RegisterParticipantInput } from "../participants/validation";
import { idempotencyKey } from "../payments/validation";
import { lockSponsorshipForSpending, type SponsorshipRow } from "../sponsors/service";
import { recordBulkRegistrations, recordSponsorshipEnrolled } from "./events";
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

type RowOutcome = { status: EnrollmentRowStatus; participantId: number | null };
type ValidRow = { index: number; row: typeof participants.$inferInsert };
type Placement = { toCreate: ValidRow[]; toAttach: { index: number; participant: ParticipantRow }[] };

const rowField = (index: number) => ["input", "participants", String(index)];

/** A row whose NIK is registered to someone the row does not describe: nothing attached, nothing revealed. */
const notThisWorker = (field: string[]) => userError("NIK_MISMATCH", msg("NIK_MISMATCH.name"), [...field, "fullName"]);

/** Who sent which rows for which sponsorship: a replayed key must carry the same request. */
function requestFingerprint(viewer: ServiceContext["viewer"], raw: EnrollSponsoredParticipantsInput) {
  return sha256Hex(
    JSON.stringify([viewer.kind === "user" ? viewer.subject : "", raw.sponsorshipId, raw.participants], (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    ),
  );
}

/**
 * Step 1: each row checked exactly as registerParticipant checks one worker (one batch of
 * lookups for all rows), and a NIK repeated in the file refused after its first row.
 */
async function checkRows(
  tx: Transaction,
  rows: RegisterParticipantInput[],
  ctx: Pick<ServiceContext, "viewer">,
  now: Date,
  sponsorship: SponsorshipRow,
): Promise<{ valid: ValidRow[]; userErrors: UserError[] }> {
  const needed = lookupsNeeded(rows, now, ctx.viewer);
  const lookups = {
    regionLevels: await regionLevels(tx, needed.regionCodes),
    creditableRegistrantIds: await creditableRegistrantIds(tx, needed.participantIds, ctx.viewer),
  };
  const userErrors: UserError[] = [];
  const valid: ValidRow[] = [];
  const firstRowOfNik = new Map<string, number>();
  rows.forEach((input, index) => {
    const field = rowField(index);
    const checked = checkRegistration(input, now, ctx.viewer, lookups, field);
    if (!checked.row) {
      userErrors.push(...checked.errors);
      return;
    }
    const first = firstRowOfNik.get(checked.row.nik);
    if (first !== undefined) {
      userErrors.push(userError("DUPLICATE_ROW", msg("DUPLICATE_ROW.row", { row: first }), [...field, "nik"]));
      return;
    }
    firstRowOfNik.set(checked.row.nik, index);
    valid.push({ index, row: { ...checked.row, sponsorId: sponsorship.sponsorId } });
  });
  return { valid, userErrors };
}

/**
 * Step 2: where each valid row goes. A worker already enrolled here stays as is; one sponsored by
 * another sponsor is refused; within the sponsorship's remaining capacity, registered workers are
 * attached and new ones created, in file order; beyond it, rows are refused.
 */
async function placeRows(
  tx: Transaction,
  sponsorship: SponsorshipRow,
  valid: ValidRow[],
  outcomes: RowOutcome[],
  userErrors: UserError[],
): Promise<Placement> {
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
  const placement: Placement = { toCreate: [], toAttach: [] };
  for (const entry of valid) {
    const field = rowField(entry.index);
    const holder = existing.get(entry.row.nik);
    // Checked first: a row that does not describe the registered worker learns nothing about them.
    if (holder && !describesRegisteredWorker(entry.row, holder)) {
      userErrors.push(notThisWorker(field));
      continue;
    }
    // Someone who left membership is not enrolled: a former member comes back by registering again.
    if (holder && holder.exitedOn !== null) {
      userErrors.push(
        userError("PARTICIPANT_EXITED", msg("PARTICIPANT_EXITED.enroll", { exitedOn: holder.exitedOn }), [
          ...field,
          "nik",
        ]),
      );
      continue;
    }
    if (holder && enrolledBefore.has(holder.id)) {
      outcomes[entry.index] = { status: "ALREADY_ENROLLED", participantId: holder.id };
      continue;
    }
    if (holder && holder.sponsorId !== null && holder.sponsorId !== sponsorship.sponsorId) {
      userErrors.push(userError("SPONSORED_ELSEWHERE", msg("SPONSORED_ELSEWHERE"), [...field, "nik"]));
      continue;
    }
    if (capacity <= 0) {
      userErrors.push(
        userError("CAPACITY_EXCEEDED", msg("CAPACITY_EXCEEDED.max", { max: sponsorship.maxParticipants }), field),
      );
      continue;
    }
    capacity -= 1;
    if (holder) placement.toAttach.push({ index: entry.index, participant: holder });
    else placement.toCreate.push(entry);
  }
  return placement;
}

/**
 * Step 3: the writes. New workers are inserted (a NIK someone registered since the lookup is
 * attached instead of failing the file, when the row describes that worker), registered ones get
 * the sponsor, and all are enrolled.
 */
async function applyPlacement(
  tx: Transaction,
  sponsorship: SponsorshipRow,
  { toCreate, toAttach }: Placement,
  outcomes: RowOutcome[],
  userErrors: UserError[],
  now: Date,
): Promise<void> {
  const inserted = await insertParticipantsSkippingTaken(
    tx,
    toCreate.map((entry) => entry.row),
  );
  const created = new Map(inserted.map((row) => [row.nik, row.id]));
  const lateArrivals = await findParticipantsByNiks(
    tx,
    toCreate.filter((entry) => !created.has(entry.row.nik)).map((entry) => entry.row.nik),
  );
  const attach = [...toAttach];
  for (const entry of toCreate) {
    const id = created.get(entry.row.nik);
    if (id !== undefined) outcomes[entry.index] = { status: "CREATED", participantId: id };
    else {
      const late = lateArrivals.get(entry.row.nik);
      if (late && describesRegisteredWorker(entry.row, late)) attach.push({ index: entry.index, participant: late });
      else if (late) userErrors.push(notThisWorker(rowField(entry.index)));
    }
  }
  for (const entry of attach) outcomes[entry.index] = { status: "ATTACHED", participantId: entry.participant.id };
  await attachSponsor(
    tx,
    attach.map((entry) => entry.participant.id),
    sponsorship.sponsorId,
    now,
  );
  await enroll(tx, sponsorship.id, [...created.values(), ...attach.map((entry) => entry.participant.id)], now);
}

/** Step 4: every row's outcome and the counts, as the report the key will replay. */
function reportOf(outcomes: RowOutcome[], userErrors: UserError[]): EnrollmentReport {
  const count = (status: EnrollmentRowStatus) => outcomes.filter((s) => s.status === status).length;
  return {
    rows: outcomes.map((s, index) => ({ index, ...s })),
    userErrors,
    created: count("CREATED"),
    attached: count("ATTACHED"),
    alreadyEnrolled: count("ALREADY_ENROLLED"),
    rejected: count("REJECTED"),
  };
}

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
    const sponsorship = await lockSponsorshipForSpending(tx, raw.sponsorshipId);
    // Another sponsor's sponsorship is answered as one that does not exist: ids cannot be probed.
    if (!sponsorship || !may(ctx.viewer, "sponsor:actFor", { sponsorId: sponsorship.sponsorId })) {
      const answer = rejected([userError("NOT_FOUND", msg("NOT_FOUND.sponsorship"), ["input", "sponsorshipId"])]);
      return sponsorship
        ? {
            ...answer,
            targetIds: [`sponsorship:${sponsorship.id}`],
            details: { codes: ["NOT_FOUND"], refused: "FORBIDDEN" },
          }
        : answer;
    }

    const fingerprint = await requestFingerprint(ctx.viewer, raw);
    const earlier = await findEnrollmentBatch(tx, idempotencyScopeOf(ctx.viewer), raw.idempotencyKey);
    if (earlier) {
      if (earlier.requestFingerprint !== fingerprint || earlier.sponsorshipId !== sponsorship.id) {
        const reused = userError("IDEMPOTENCY_KEY_REUSED", msg("IDEMPOTENCY_KEY_REUSED.enrollment"), [
          "input",
          "idempotencyKey",
        ]);
        return rejected([reused], sponsorship);
      }
      return {
        result: { sponsorship, report: earlier.result, userErrors: earlier.result.userErrors },
        targetIds: [`sponsorship:${sponsorship.id}`],
        outcome: "REPLAYED",
      };
    }

    const outcomes: RowOutcome[] = raw.participants.map(() => ({ status: "REJECTED", participantId: null }));
    const { valid, userErrors } = await checkRows(tx, raw.participants, ctx, now, sponsorship);
    const placement = await placeRows(tx, sponsorship, valid, outcomes, userErrors);
    await applyPlacement(tx, sponsorship, placement, outcomes, userErrors, now);
    const report = reportOf(outcomes, userErrors);
    // Partner events, in the same transaction: each new worker registered, and the batch enrolled.
    const createdIds = outcomes.flatMap((o) =>
      o.status === "CREATED" && o.participantId !== null ? [o.participantId] : [],
    );
    await recordBulkRegistrations(tx, createdIds, now);
    await recordSponsorshipEnrolled(
      tx,
      sponsorship,
      { enrolled: report.created + report.attached, created: report.created, rejected: report.rejected },
      now,
    );
    await insertEnrollmentBatch(tx, {
      sponsorshipId: sponsorship.id,
      idempotencyScope: idempotencyScopeOf(ctx.viewer),
      idempotencyKey: raw.idempotencyKey,
      requestFingerprint: fingerprint,
      result: report,
      createdAt: now.toISOString(),
    });
    return {
      result: { sponsorship, report, userErrors },
      targetIds: [`sponsorship:${sponsorship.id}`],
      outcome: "SUCCEEDED",
      details: {
        rows: raw.participants.length,
        created: report.created,
        attached: report.attached,
        alreadyEnrolled: report.alreadyEnrolled,
        rejected: report.rejected,
      },
    };
  });
}
