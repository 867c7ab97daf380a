/**
 * Verifying participants against the civil registry. Registration never waits for it: every
 * registration writes a pending check (a trigger), the relay hands due checks to a queue, and the
 * queue's consumer asks the registry through an `IdentityVerifier` and records the decision, the
 * participant's identity status and a partner event. While the registry is unavailable a check is
 * asked again with backoff, then recorded UNAVAILABLE. Officers may ask again (rate-limited,
 * audited); nothing else calls the registry.
 */
import type { ServiceContext } from "../../context";
import type { Database } from "../../db/client";
import { forbidden, type UserError, userError } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import type { Viewer } from "../access/rules";
import { audited, rejection } from "../audit/service";
import { dashboardScopeFor } from "../dashboard/service";
import { insertEvents } from "../outbox/outbox";
import { participantSnapshot } from "../participants/events";
import { findVisibleParticipant, type ParticipantRow, setIdentityStatuses } from "../participants/service";
import { type CheckOutcome, checkOutcome, identityCheckPolicy } from "./rules";
import {
  applyCheckOutcomes,
  checksOf,
  type IdentityCheckRow,
  insertCheck,
  lockPendingChecks,
  pendingCheckOf,
  pendingChecksToAsk,
  rerunsBy,
  verifiedShares,
} from "./store";
import type { IdentityVerifier } from "./verifier";

type CheckWrite = Parameters<typeof applyCheckOutcomes>[1][number];

/**
 * Asks the registry about these pending checks and records what it decided. The registry is
 * called outside any transaction (no row lock waits on the network), all of them at once; the
 * outcomes are then written under the checks' locks in one transaction: each check decided once,
 * however often the queue delivers it, with the participants' identity status and a partner event
 * (`participant.verified` or `participant.verification_failed`) for each decision. Returns how
 * many it decided or rescheduled.
 */
export async function runIdentityChecks(
  db: Database,
  verifier: IdentityVerifier,
  checkIds: number[],
  now: Date,
): Promise<number> {
  const asked = await pendingChecksToAsk(db, checkIds);
  if (asked.length === 0) return 0;
  const results = new Map(
    await Promise.all(
      asked.map(
        async (check) =>
          [
            check.id,
            await verifier.verify({ nik: check.nik, fullName: check.fullName, birthDate: check.birthDate }),
          ] as const,
      ),
    ),
  );
  return db.transaction(async (tx) => {
    const locked = await lockPendingChecks(tx, [...results.keys()]);
    const at = now.toISOString();
    const decided: { check: (typeof locked)[number]; outcome: Extract<CheckOutcome, { kind: "DECIDED" }> }[] = [];
    const writes = locked.flatMap((check): CheckWrite[] => {
      const result = results.get(check.id);
      if (!result) return [];
      const outcome = checkOutcome(check, check.identityStatus, result, now);
      if (outcome.kind === "RETRY") {
        return [
          {
            id: check.id,
            attempts: outcome.attempts,
            status: "UNVERIFIED",
            mismatchedFields: null,
            nextAttemptAt: outcome.nextAttemptAt,
            verifierVersion: null,
            decidedAt: null,
          },
        ];
      }
      decided.push({ check, outcome });
      return [
        {
          id: check.id,
          attempts: outcome.attempts,
          status: outcome.status,
          mismatchedFields: outcome.mismatchedFields,
          nextAttemptAt: null,
          verifierVersion: verifier.version,
          decidedAt: at,
        },
      ];
    });
    await applyCheckOutcomes(tx, writes);
    const people = new Map(
      (
        await setIdentityStatuses(
          tx,
          decided.map(({ check, outcome }) => ({ id: check.participantId, status: outcome.participantStatus })),
          now,
        )
      ).map((row) => [row.id, row]),
    );
    await insertEvents(
      tx,
      decided.flatMap(({ check, outcome }) => {
        const participant = people.get(check.participantId);
        if (!participant) return [];
        return [
          {
            type: outcome.status === "VERIFIED" ? "participant.verified" : "participant.verification_failed",
            participantId: participant.id,
            sponsorId: participant.sponsorId,
            data: {
              participant: participantSnapshot(participant, now),
              verification: {
                status: outcome.status,
                mismatchedFields: outcome.mismatchedFields ?? [],
                reason: check.reason,
                verifierVersion: verifier.version,
                decidedAt: at,
              },
            },
            occurredAt: now,
          },
        ];
      }),
    );
    return writes.length;
  });
}

export interface RecheckIdentityResult {
  participant: ParticipantRow | null;
  check: IdentityCheckRow | null;
  userErrors: UserError[];
}

/**
 * An officer asks the registry again about a worker they may see (after a name was corrected, or
 * when the registry was unavailable): a pending check, handled by the queue like a
 * registration's. At most `identityCheckPolicy.reruns.perHour` an hour per caller; one pending
 * check per participant (asking again returns it). Audited.
 */
export async function recheckIdentity(
  ctx: ServiceContext,
  input: { participantId: number },
): Promise<RecheckIdentityResult> {
  if (!may(ctx.viewer, "identity:recheck")) throw forbidden(msg("FORBIDDEN.recheckIdentity"));
  const now = ctx.clock.now();
  const requestedBy = subjectOf(ctx.viewer);
  return audited<RecheckIdentityResult>(ctx, "recheckIdentity", async (tx) => {
    const rejected = (userErrors: UserError[], targetIds: string[] = []) =>
      rejection<RecheckIdentityResult>({ participant: null, check: null, userErrors }, targetIds);
    const participant = await findVisibleParticipant(tx, ctx.viewer, input.participantId);
    if (!participant) {
      return rejected([userError("NOT_FOUND", msg("NOT_FOUND.participant"), ["input", "participantId"])]);
    }
    const target = [`participant:${participant.id}`];
    const pending = await pendingCheckOf(tx, participant.id);
    if (pending) {
      return { result: { participant, check: pending, userErrors: [] }, targetIds: target, outcome: "REPLAYED" };
    }
    const hourAgo = new Date(now.getTime() - 3_600_000);
    if ((await rerunsBy(tx, requestedBy, hourAgo)) >= identityCheckPolicy.reruns.perHour) {
      return rejected(
        [
          userError("LIMIT_REACHED", msg("LIMIT_REACHED.identityRerun", { max: identityCheckPolicy.reruns.perHour }), [
            "input",
            "participantId",
          ]),
        ],
        target,
      );
    }
    const check = await insertCheck(tx, {
      participantId: participant.id,
      reason: "OFFICER_RERUN",
      requestedBy,
      at: now,
    });
    return {
      result: { participant, check, userErrors: [] },
      targetIds: [...target, `identity-check:${check.id}`],
      outcome: "SUCCEEDED",
    };
  });
}

/** A participant's latest checks, for a caller who may see them (the participant's own visibility). */
export async function identityChecksOf(
  ctx: { db: Database; viewer: Viewer },
  participantId: number,
  limit = 10,
): Promise<IdentityCheckRow[]> {
  const participant = await findVisibleParticipant(ctx.db, ctx.viewer, participantId);
  return participant ? checksOf(ctx.db, participant.id, limit) : [];
}

/** Who asked, as registrations record it (a token's subject, or `api-key:<prefix>` for a key). */
function subjectOf(viewer: Viewer): string {
  return viewer.kind === "user" ? viewer.subject : "anonymous";
}

export interface VerifiedShare {
  regionCode: string;
  channel: string;
  registered: number;
  verified: number;
  /** verified / registered; null when nobody registered. */
  share: number | null;
}

/**
 * How many of the participants in each child region and registration channel the registry
 * verified: where invented or borrowed identities cluster. The dashboard's readers and scopes
 * (ADMIN; an officer within their region).
 */
export async function verifiedShare(
  ctx: { db: Database; viewer: Viewer },
  regionCode: string | null,
): Promise<VerifiedShare[]> {
  const scope = dashboardScopeFor(ctx.viewer, regionCode);
  const rows = await verifiedShares(ctx.db, scope);
  return rows.map((row) => ({ ...row, share: row.registered === 0 ? null : row.verified / row.registered }));
}
