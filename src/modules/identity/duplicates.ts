/**
 * Duplicate review: rules find pairs of records that may be one person (or no person), officers of
 * the region resolve them, and "the same person" merges one record into the other in one
 * transaction — payments, covered months, memberships and referrals move to the record kept, a
 * month both covered is refunded once, and the other record ends as a DUPLICATE exit.
 */
import type { ServiceContext } from "../../context";
import type { Executor } from "../../db/client";
import { wibDate } from "../../shared/calendar";
import { forbidden, type UserError, userError } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import type { Viewer } from "../access/rules";
import { audited, rejection } from "../audit/service";
import type { JobStep } from "../jobs/service";
import { canSeeParticipant } from "../participants/conditions";
import { recordParticipantEvent } from "../participants/events";
import {
  endMemberships,
  endSponsorshipsOf,
  findParticipant,
  lockParticipant,
  moveRecordsTo,
  openMemberships,
  type ParticipantRow,
  updateParticipantRow,
} from "../participants/service";
import { type ExitRefund, mergeCoverageInto, paidThroughFromPayments, recordExitRefunds } from "../payments/service";
import {
  closeCandidatesOf,
  type DuplicateCandidateRow,
  lockCandidate,
  recordDuplicateCandidates,
  resolveCandidate,
} from "./store";
import type { DuplicateResolution } from "./tables";

/** How far back the daily duplicate search looks: yesterday's registrations, with a day to spare. */
export const DUPLICATE_SEARCH_DAYS = 2;

/**
 * Finds the pairs the rules name among those registered since `since` (in `province` only, when
 * given: the other of a pair may live anywhere).
 */
export function findDuplicateCandidates(
  db: Executor,
  since: Date,
  now: Date,
  province: string | null = null,
): Promise<number> {
  return recordDuplicateCandidates(db, since, now, province);
}

/**
 * The duplicate search's part of the daily job (`src/daily-job.ts`): a checkpointed step per
 * province of the new registrations. As one step it grew with a day's registrations (6 s at 1 M,
 * 38 s at 5 M: about 9 minutes at 70 M, past an invocation's budget); a province's share stays
 * within a minute.
 */
export function duplicateSearchSteps(now: Date, provinces: readonly string[]): JobStep[] {
  const since = new Date(now.getTime() - DUPLICATE_SEARCH_DAYS * 86_400_000);
  return provinces.map((province) => ({
    name: `identity:duplicate-candidates:${province}`,
    run: async (tx) => ({ found: await findDuplicateCandidates(tx, since, now, province) }),
  }));
}

export interface ResolveDuplicateResult {
  candidate: DuplicateCandidateRow | null;
  /** SAME_PERSON: the record kept, with what it gained. */
  kept: ParticipantRow | null;
  refunds: ExitRefund[];
  userErrors: UserError[];
}

/**
 * Resolves a candidate (officers of its region, ADMIN; audited): NOT_DUPLICATE closes it;
 * SAME_PERSON keeps `keptParticipantId` (the earlier registration by default) and merges the
 * other into it. Nothing is written unless every check passes.
 */
export async function resolveDuplicate(
  ctx: ServiceContext,
  input: { candidateId: number; resolution: DuplicateResolution; keptParticipantId: number | null },
): Promise<ResolveDuplicateResult> {
  if (!may(ctx.viewer, "identity:resolveDuplicate")) throw forbidden(msg("FORBIDDEN.resolveDuplicate"));
  const now = ctx.clock.now();
  const resolvedBy = ctx.viewer.kind === "user" ? ctx.viewer.subject : "anonymous";
  return audited<ResolveDuplicateResult>(ctx, "resolveDuplicate", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection<ResolveDuplicateResult>({ candidate: null, kept: null, refunds: [], userErrors }, targetIds);
    const candidate = await lockCandidate(tx, input.candidateId);
    const pair = candidate ? await visiblePair(tx, ctx.viewer, candidate) : null;
    if (!candidate || !pair) {
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.duplicateCandidate"), ["input", "candidateId"])]);
    }
    const target = [`duplicate-candidate:${candidate.id}`];
    if (candidate.resolvedAt !== null) {
      return rejected(
        [
          userError(
            "INVALID_TRANSITION",
            msg("INVALID_TRANSITION.duplicateResolved", { resolution: candidate.resolution ?? "" }),
            ["input", "candidateId"],
          ),
        ],
        target,
      );
    }
    if (input.resolution === "NOT_DUPLICATE") {
      const resolved = await resolveCandidate(tx, candidate.id, {
        resolution: "NOT_DUPLICATE",
        keptParticipantId: null,
        resolvedBy,
        at: now,
      });
      return {
        result: { candidate: resolved, kept: null, refunds: [], userErrors: [] },
        targetIds: target,
        outcome: "SUCCEEDED",
        details: { resolution: "NOT_DUPLICATE" },
      };
    }
    const keptId = input.keptParticipantId ?? candidate.otherParticipantId;
    if (keptId !== candidate.participantId && keptId !== candidate.otherParticipantId) {
      return rejected(
        [userError("INVALID_INPUT", msg("INVALID_INPUT.keptParticipant"), ["input", "keptParticipantId"])],
        target,
      );
    }
    const duplicateId = keptId === candidate.participantId ? candidate.otherParticipantId : candidate.participantId;
    // Both rows locked in id order, as every path that locks several participants takes them.
    const locked = new Map<number, ParticipantRow | null>();
    for (const id of [keptId, duplicateId].sort((a, b) => a - b)) locked.set(id, await lockParticipant(tx, id));
    const kept = locked.get(keptId);
    const duplicate = locked.get(duplicateId);
    if (!kept || !duplicate) throw new Error(`candidate ${candidate.id} names a missing participant`);
    const gone = [kept, duplicate].find((row) => row.exitedOn !== null);
    if (gone) {
      return rejected(
        [
          userError(
            "PARTICIPANT_EXITED",
            msg("PARTICIPANT_EXITED.merge", { participant: gone.id, exitedOn: gone.exitedOn ?? "" }),
            ["input", "candidateId"],
          ),
        ],
        target,
      );
    }

    const today = wibDate(now);
    const refunds = await mergeCoverageInto(tx, duplicate.id, kept.id, now);
    await endMemberships(
      tx,
      (await openMemberships(tx, duplicate.id)).map((membership) => membership.id),
      { endedOn: today, reason: "DUPLICATE" },
    );
    await moveRecordsTo(tx, duplicate.id, kept.id, now);
    await endSponsorshipsOf(tx, duplicate.id, today);
    const ended = await updateParticipantRow(
      tx,
      duplicate.id,
      { exitedOn: today, paidThrough: null, mergedIntoId: kept.id },
      now,
    );
    const merged = await updateParticipantRow(
      tx,
      kept.id,
      { paidThrough: await paidThroughFromPayments(tx, kept.id) },
      now,
    );
    if (!ended || !merged) throw new Error("a merged participant vanished under its lock");
    const resolved = await resolveCandidate(tx, candidate.id, {
      resolution: "SAME_PERSON",
      keptParticipantId: kept.id,
      resolvedBy,
      at: now,
    });
    await closeCandidatesOf(tx, duplicate.id, resolvedBy, now);
    await recordExitRefunds(tx, refunds, merged, now);
    await recordParticipantEvent(tx, "participant.exited", ended, now, {
      reason: "DUPLICATE",
      effectiveOn: today,
      keptParticipantId: kept.id,
      refunds: refunds.map((refund) => ({
        paymentId: refund.payment.id,
        months: refund.months.map((month) => month.slice(0, 7)),
        amount: refund.amount.toString(),
        returnedTo: refund.sponsorshipId === null ? "PAYER" : "SPONSORSHIP_BUDGET",
      })),
    });
    return {
      result: { candidate: resolved, kept: merged, refunds, userErrors: [] },
      targetIds: [...target, `participant:${kept.id}`, `participant:${duplicate.id}`],
      outcome: "SUCCEEDED",
      details: { resolution: "SAME_PERSON", kept: kept.id, merged: duplicate.id, refunds: refunds.length },
    };
  });
}

/** Both participants of a candidate, when the caller may see both; null otherwise. */
async function visiblePair(db: Executor, viewer: Viewer, candidate: DuplicateCandidateRow) {
  const [one, other] = await Promise.all([
    findParticipant(db, candidate.participantId),
    findParticipant(db, candidate.otherParticipantId),
  ]);
  return one && other && canSeeParticipant(viewer, one) && canSeeParticipant(viewer, other) ? [one, other] : null;
}
