import { and, asc, desc, eq, inArray, isNull, like, lte, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor, Transaction } from "../../db/client";
import { rowCountOf } from "../../db/rows";
import type { Viewer } from "../access/rules";
import { participantVisibility, regionCondition } from "../participants/conditions";
import { type IdentityStatus, participants } from "../participants/tables";
import { type DuplicateResolution, duplicateCandidates, type IdentityCheckReason, identityChecks } from "./tables";

export type IdentityCheckRow = typeof identityChecks.$inferSelect;

/**
 * Pending checks the relay may hand to the queue now: due, and not handed over in the last
 * `requeueAfterMs` (a message still on the queue is left alone; one lost is queued again). Marks
 * them queued in the same statement, so two relays never send one check twice.
 */
export async function claimDueChecks(
  db: Executor,
  now: Date,
  options: { limit: number; requeueAfterMs: number },
): Promise<number[]> {
  const at = now.toISOString();
  const stale = new Date(now.getTime() - options.requeueAfterMs).toISOString();
  const due = db
    .select({ id: identityChecks.id })
    .from(identityChecks)
    .where(
      and(
        isNull(identityChecks.decidedAt),
        lte(identityChecks.nextAttemptAt, at),
        or(isNull(identityChecks.queuedAt), lte(identityChecks.queuedAt, stale)),
      ),
    )
    .orderBy(asc(identityChecks.nextAttemptAt), asc(identityChecks.id))
    .limit(options.limit)
    .for("update", { skipLocked: true });
  const claimed = await db
    .update(identityChecks)
    .set({ queuedAt: at })
    .where(inArray(identityChecks.id, due))
    .returning({ id: identityChecks.id });
  return claimed.map((row) => row.id).sort((a, b) => a - b);
}

/** The pending ones of these checks, with what the registry is asked about their participants. */
export function pendingChecksToAsk(db: Executor, ids: number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select({
      id: identityChecks.id,
      participantId: identityChecks.participantId,
      nik: participants.nik,
      fullName: participants.fullName,
      birthDate: participants.birthDate,
    })
    .from(identityChecks)
    .innerJoin(participants, eq(participants.id, identityChecks.participantId))
    .where(and(inArray(identityChecks.id, ids), isNull(identityChecks.decidedAt)))
    .orderBy(asc(identityChecks.id));
}

/**
 * The pending ones of these checks with their participants' identity status, both locked until the
 * transaction ends (checks, then participants, in id order): each check is decided once, however
 * often the queue delivers it, and a participant's status moves one decision at a time.
 */
export async function lockPendingChecks(tx: Transaction, ids: number[]) {
  if (ids.length === 0) return [];
  return tx
    .select({
      id: identityChecks.id,
      participantId: identityChecks.participantId,
      reason: identityChecks.reason,
      attempts: identityChecks.attempts,
      identityStatus: participants.identityStatus,
    })
    .from(identityChecks)
    .innerJoin(participants, eq(participants.id, identityChecks.participantId))
    .where(and(inArray(identityChecks.id, ids), isNull(identityChecks.decidedAt)))
    .orderBy(asc(identityChecks.id))
    .for("update", { of: [identityChecks, participants] });
}

/** Writes many checks' outcomes in one statement: a retry's next attempt, or a decision. */
export async function applyCheckOutcomes(
  tx: Transaction,
  rows: {
    id: number;
    attempts: number;
    status: IdentityStatus;
    mismatchedFields: string[] | null;
    nextAttemptAt: string | null;
    verifierVersion: string | null;
    decidedAt: string | null;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(sql`
    update ${identityChecks} c set attempts = v.attempts, status = v.status::identity_status,
      mismatched_fields = v.mismatched_fields, next_attempt_at = v.next_attempt_at,
      verifier_version = v.verifier_version, decided_at = v.decided_at,
      queued_at = case when v.decided_at is null then null else c.queued_at end
    from jsonb_to_recordset(${JSON.stringify(rows.map((row) => ({ ...row, mismatched_fields: row.mismatchedFields, next_attempt_at: row.nextAttemptAt, verifier_version: row.verifierVersion, decided_at: row.decidedAt })))}::jsonb)
      as v(id bigint, attempts smallint, status text, mismatched_fields text[], next_attempt_at timestamptz,
           verifier_version text, decided_at timestamptz)
    where c.id = v.id`);
}

/** Asks the registry again about a participant (an officer's re-run): a pending check, due now. */
export async function insertCheck(
  db: Executor,
  row: { participantId: number; reason: IdentityCheckReason; requestedBy: string | null; at: Date },
): Promise<IdentityCheckRow> {
  const [created] = await db
    .insert(identityChecks)
    .values({
      participantId: row.participantId,
      reason: row.reason,
      requestedBy: row.requestedBy,
      requestedAt: row.at.toISOString(),
      nextAttemptAt: row.at.toISOString(),
    })
    .returning();
  if (!created) throw new Error("identity check insert returned nothing");
  return created;
}

/** A participant's checks, newest first. */
export function checksOf(db: Executor, participantId: number, limit: number): Promise<IdentityCheckRow[]> {
  return db
    .select()
    .from(identityChecks)
    .where(eq(identityChecks.participantId, participantId))
    .orderBy(desc(identityChecks.id))
    .limit(limit);
}

/** Whether a re-run of this participant's check is already pending (a second would ask twice). */
export async function pendingCheckOf(db: Executor, participantId: number): Promise<IdentityCheckRow | null> {
  const [row] = await db
    .select()
    .from(identityChecks)
    .where(and(eq(identityChecks.participantId, participantId), isNull(identityChecks.decidedAt)))
    .limit(1);
  return row ?? null;
}

/** How many re-runs one caller asked for since `since`: the re-run's rate limit. */
export async function rerunsBy(db: Executor, requestedBy: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int`.mapWith(Number) })
    .from(identityChecks)
    .where(
      and(
        eq(identityChecks.requestedBy, requestedBy),
        eq(identityChecks.reason, "OFFICER_RERUN"),
        sql`${identityChecks.requestedAt} >= ${since.toISOString()}`,
      ),
    );
  return row?.count ?? 0;
}

export type { IdentityStatus };

export interface VerifiedShareRow {
  regionCode: string;
  channel: string;
  registered: number;
  verified: number;
}

/**
 * Participants and those the registry verified, by the scope's child regions (provinces for the
 * country) and registration channel: one grouped read of the scope's participants (the village
 * index's prefix range), for the dashboard's verified share.
 */
export async function verifiedShares(db: Executor, regionCode: string | null): Promise<VerifiedShareRow[]> {
  const childLength = regionCode === null ? 2 : ([5, 8, 13][regionCode.split(".").length - 1] ?? 13);
  // Inlined (a number of ours), so the select and the group by are one expression to PostgreSQL.
  const region = sql<string>`left(${participants.villageCode}, ${sql.raw(String(childLength))})`;
  return db
    .select({
      regionCode: region.as("region_code"),
      channel: participants.channel,
      registered: sql<number>`count(*)::int`.mapWith(Number),
      verified: sql<number>`(count(*) filter (where ${participants.identityStatus} = 'VERIFIED'))::int`.mapWith(Number),
    })
    .from(participants)
    .where(regionCode === null ? undefined : regionCondition(participants, regionCode))
    .groupBy(region, participants.channel)
    .orderBy(region, participants.channel);
}

/**
 * Runs the duplicate rules (tables.ts, `duplicateRules`) for the members registered since `since`
 * against everyone registered before them, and records each new pair once. Every rule joins on an
 * index (a name, a birth date, a phone, a NIK), so a day's registrations cost a day's lookups.
 */
export async function recordDuplicateCandidates(
  db: Executor,
  since: Date,
  now: Date,
  province: string | null = null,
): Promise<number> {
  const result = await db.execute(sql`
    with recent as (
      select id, nik, full_name, birth_date, phone, village_code, registered_by_id, registered_by_subject, registered_at
      from participants where registered_at >= ${since.toISOString()}::timestamptz and exited_on is null
        ${province === null ? sql`` : sql`and ${regionCondition(participants, province)}`}
    ), pairs as (
      select r.id as participant_id, o.id as other_id, 'SAME_NAME_AND_BIRTH_DATE' as rule, r.village_code
      from recent r join participants o
        on lower(o.full_name) = lower(r.full_name) and o.birth_date = r.birth_date and o.nik <> r.nik
      where o.exited_on is null and (o.registered_at, o.id) < (r.registered_at, r.id)
      union all
      -- The 144 NIKs one digit apart, each looked up by the NIK's index: a common name (thousands
      -- share one nationally) would otherwise compare every namesake digit by digit. The lookup is a
      -- LATERAL with LIMIT (a NIK is unique) so the planner cannot turn it into a hash of every
      -- participant, which it chose for a province with many new registrations (0.9 s at 1 M).
      select r.id, o.id, 'NIK_ONE_DIGIT_APART', r.village_code
      from recent r cross join generate_series(1, 16) i cross join generate_series(0, 9) d
      cross join lateral (select o.id, o.full_name, o.exited_on, o.registered_at from participants o
                          where o.nik = overlay(r.nik placing d::text from i for 1) limit 1) o
      where substr(r.nik, i, 1) <> d::text and lower(o.full_name) = lower(r.full_name)
        and o.exited_on is null and (o.registered_at, o.id) < (r.registered_at, r.id)
      union all
      select r.id, a.id, 'SHARED_PHONE', r.village_code
      from recent r
      join lateral (select o.id from participants o where o.phone = r.phone and o.exited_on is null
                    order by o.registered_at, o.id limit 1) a on a.id <> r.id
      where r.phone is not null
        and (select count(*) from participants o where o.phone = r.phone and o.exited_on is null) >= ${duplicatePolicy.sharedPhoneWorkers}
      union all
      select r.id, o.id, 'SEQUENTIAL_NIKS', r.village_code
      from recent r join participants o on o.nik = lpad((r.nik::bigint - 1)::text, 16, '0')
      where r.registered_by_subject is not null and o.registered_by_subject = r.registered_by_subject
        and o.exited_on is null
      union all
      select r.id, f.id, 'REGISTRATION_BURST', r.village_code
      from recent r
      join lateral (select o.id from participants o
                    where o.registered_by_id = r.registered_by_id
                      and o.registered_at >= r.registered_at - make_interval(mins => ${duplicatePolicy.burst.minutes}::int)
                      and o.registered_at <= r.registered_at
                    order by o.registered_at, o.id limit 1) f on f.id <> r.id
      where r.registered_by_id is not null
        and (select count(*) from participants o where o.registered_by_id = r.registered_by_id
              and o.registered_at >= r.registered_at - make_interval(mins => ${duplicatePolicy.burst.minutes}::int)
              and o.registered_at <= r.registered_at) >= ${duplicatePolicy.burst.registrations}
    )
    insert into duplicate_candidates (participant_id, other_participant_id, rule, village_code, found_at)
    select participant_id, other_id, rule::duplicate_rule, village_code, ${now.toISOString()}::timestamptz
    from pairs order by participant_id, other_id, rule
    on conflict on constraint duplicate_candidates_pair_key do nothing`);
  return rowCountOf(result);
}

/**
 * When one phone number stands for a possible duplicate (shared by this many workers or more), and
 * what a registration burst is: a Nyalakan registrant entering this many workers within these
 * minutes, faster than anyone registers the people around them by hand (sponsors' files, which
 * enroll thousands at once, have no Nyalakan registrant and are not bursts).
 */
export const duplicatePolicy = { sharedPhoneWorkers: 3, burst: { registrations: 10, minutes: 10 } } as const;

export type DuplicateCandidateRow = typeof duplicateCandidates.$inferSelect;

/** A candidate, its row locked until the transaction ends: one resolution at a time. */
export async function lockCandidate(tx: Transaction, id: number): Promise<DuplicateCandidateRow | null> {
  const [row] = await tx.select().from(duplicateCandidates).where(eq(duplicateCandidates.id, id)).for("update");
  return row ?? null;
}

export async function resolveCandidate(
  tx: Transaction,
  id: number,
  resolution: { resolution: DuplicateResolution; keptParticipantId: number | null; resolvedBy: string; at: Date },
): Promise<DuplicateCandidateRow> {
  const [row] = await tx
    .update(duplicateCandidates)
    .set({
      resolution: resolution.resolution,
      keptParticipantId: resolution.keptParticipantId,
      resolvedBy: resolution.resolvedBy,
      resolvedAt: resolution.at.toISOString(),
    })
    .where(eq(duplicateCandidates.id, id))
    .returning();
  if (!row) throw new Error(`duplicate candidate ${id} vanished under its lock`);
  return row;
}

/** Other open candidates naming a participant merged away: nothing is left to decide about them. */
export async function closeCandidatesOf(tx: Transaction, participantId: number, resolvedBy: string, at: Date) {
  await tx
    .update(duplicateCandidates)
    .set({ resolution: "SAME_PERSON", resolvedBy, resolvedAt: at.toISOString() })
    .where(
      and(
        isNull(duplicateCandidates.resolvedAt),
        or(
          eq(duplicateCandidates.participantId, participantId),
          eq(duplicateCandidates.otherParticipantId, participantId),
        ),
      ),
    );
}

/** A caller's open candidates: unresolved, in the region (null: the country), both records visible to them. */
export function openCandidates(table: typeof duplicateCandidates, region: string | null, viewer: Viewer): SQL {
  return and(
    isNull(table.resolvedAt),
    region ? like(table.villageCode, `${region}.%`) : undefined,
    bothVisible(table, viewer),
  ) as SQL;
}

function bothVisible(table: typeof duplicateCandidates, viewer: Viewer): SQL {
  const one = alias(participants, "candidate_participant");
  const other = alias(participants, "candidate_other");
  return sql`exists (select 1 from ${participants} as ${sql.identifier("candidate_participant")}
      where ${one.id} = ${table.participantId} and ${participantVisibility(one, viewer)})
    and exists (select 1 from ${participants} as ${sql.identifier("candidate_other")}
      where ${other.id} = ${table.otherParticipantId} and ${participantVisibility(other, viewer)})`;
}
