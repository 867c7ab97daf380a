import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Database, Executor, Transaction } from "../../db/client";
import type { Viewer } from "../access/rules";
import {
  type ParticipantFilter,
  participantConditions,
  participantVisibility,
  visibleParticipants,
} from "./conditions";
import { hasExited, statusCondition } from "./rules";
import {
  type IdentityStatus,
  type MembershipEndReason,
  memberships,
  participants,
  sponsorshipEnrollments,
} from "./tables";

export function countParticipants(db: Database, filter: ParticipantFilter, viewer: Viewer, now: Date): Promise<number> {
  return db.$count(participants, visibleParticipants(participants, filter, viewer, now));
}

export type ParticipantRow = typeof participants.$inferSelect;

export function findParticipant(db: Executor, id: number) {
  return db.query.participants.findFirst({ where: { id } });
}

export function findParticipantByNik(db: Executor, nik: string) {
  return db.query.participants.findFirst({ where: { nik } });
}

/** Which of these region codes exist, with their levels. */
export async function regionLevels(db: Executor, codes: string[]): Promise<Map<string, string>> {
  const rows = await db.query.regions.findMany({
    where: { code: { in: codes } },
    columns: { code: true, level: true },
  });
  return new Map(rows.map((row) => [row.code, row.level]));
}

/** What `canSeeParticipant` needs of each of these participants. */
export async function visibilityColumnsOf(db: Executor, ids: number[]) {
  if (ids.length === 0) return [];
  return db
    .select({
      id: participants.id,
      villageCode: participants.villageCode,
      sponsorId: participants.sponsorId,
      registeredById: participants.registeredById,
      registeredBySubject: participants.registeredBySubject,
    })
    .from(participants)
    .where(inArray(participants.id, ids));
}

/** Of these ids, the participants the viewer may credit as registrant: themself or one they may see. */
export async function creditableRegistrantIds(db: Executor, ids: number[], viewer: Viewer): Promise<Set<number>> {
  if (ids.length === 0 || viewer.kind !== "user") return new Set();
  const rows = await db
    .select({ id: participants.id })
    .from(participants)
    // A PARTICIPANT sees themself, so "themself or one they may see" is the visibility rule.
    .where(and(inArray(participants.id, ids), participantVisibility(participants, viewer)));
  return new Set(rows.map((row) => row.id));
}

/** Inserts unless the NIK is taken; null means another registration of that NIK exists (possibly concurrent). */
export async function insertParticipant(
  db: Executor,
  row: typeof participants.$inferInsert,
): Promise<ParticipantRow | null> {
  const [created] = await db
    .insert(participants)
    .values(row)
    .onConflictDoNothing({ target: participants.nik })
    .returning();
  return created ?? null;
}

export async function updateParticipantRow(
  db: Executor,
  id: number,
  changes: Partial<typeof participants.$inferInsert>,
  at: Date,
): Promise<ParticipantRow | null> {
  const [updated] = await db
    .update(participants)
    .set({ ...changes, updatedAt: at.toISOString() })
    .where(eq(participants.id, id))
    .returning();
  return updated ?? null;
}

export interface ReferralTally {
  registrantId: number;
  registered: number;
  active: number;
}

/**
 * Registrants ranked by how many of the workers they registered are still paying (Nyalakan is
 * measured by retention, not sign-ups); ties go to more registrations, then the earlier registrant.
 * Only referrals the civil registry verified count (an invented or borrowed identity earns no
 * credit), and only referrals and registrants the viewer may see.
 */
export async function referralTallies(
  db: Database,
  viewer: Viewer,
  now: Date,
  options: { regionCode?: string | null; registeredFrom?: string | null; registeredTo?: string | null; limit: number },
): Promise<ReferralTally[]> {
  const registrant = alias(participants, "registrant");
  const isActive = statusCondition(participants.paidThrough, hasExited(participants), "ACTIVE", now);
  const active = sql<number>`count(*) filter (where ${isActive})`.mapWith(Number);
  const registered = sql<number>`count(*)`.mapWith(Number);
  return db
    .select({ registrantId: participants.registeredById, registered, active })
    .from(participants)
    .innerJoin(registrant, eq(registrant.id, participants.registeredById))
    .where(
      and(
        participantVisibility(participants, viewer),
        participantVisibility(registrant, viewer),
        eq(participants.identityStatus, "VERIFIED"),
        participantConditions(
          participants,
          {
            regionCode: options.regionCode ?? null,
            registeredFrom: options.registeredFrom ?? null,
            registeredTo: options.registeredTo ?? null,
          },
          now,
        ),
      ),
    )
    .groupBy(participants.registeredById)
    .orderBy(desc(active), desc(registered), asc(participants.registeredById))
    .limit(options.limit) as Promise<ReferralTally[]>;
}

/** Reads a participant and holds its row lock: coverage changes of one participant queue here. */
export async function lockParticipant(tx: Transaction, id: number): Promise<ParticipantRow | null> {
  const [row] = await tx.select().from(participants).where(eq(participants.id, id)).for("update");
  return row ?? null;
}

/** Inserts in chunks of 1,000 rows, skipping NIKs already taken (possibly concurrently); returns the rows created. */
export async function insertParticipantsSkippingTaken(
  tx: Transaction,
  rows: (typeof participants.$inferInsert)[],
): Promise<{ id: number; nik: string }[]> {
  const created: { id: number; nik: string }[] = [];
  for (let i = 0; i < rows.length; i += 1_000) {
    created.push(
      ...(await tx
        .insert(participants)
        .values(rows.slice(i, i + 1_000))
        .onConflictDoNothing({ target: participants.nik })
        .returning({ id: participants.id, nik: participants.nik })),
    );
  }
  return created;
}

export async function findParticipantsByNiks(db: Executor, niks: string[]) {
  const found: ParticipantRow[] = [];
  for (let i = 0; i < niks.length; i += 5_000) {
    found.push(...(await db.query.participants.findMany({ where: { nik: { in: niks.slice(i, i + 5_000) } } })));
  }
  return new Map(found.map((row) => [row.nik, row]));
}

/** Gives unsponsored participants a sponsor; those sponsored already keep theirs. */
export async function attachSponsor(tx: Transaction, ids: number[], sponsorId: number, at: Date) {
  for (let i = 0; i < ids.length; i += 5_000) {
    await tx
      .update(participants)
      .set({ sponsorId, updatedAt: at.toISOString() })
      .where(and(inArray(participants.id, ids.slice(i, i + 5_000)), isNull(participants.sponsorId)));
  }
}

export type MembershipRow = typeof memberships.$inferSelect;

/** A participant's open memberships (one per segment at most), newest first. */
export function openMemberships(db: Executor, participantId: number): Promise<MembershipRow[]> {
  return db.query.memberships.findMany({
    where: { participantId, endedOn: { isNull: true } },
    orderBy: { startedOn: "desc", id: "desc" },
  });
}

/** A participant's memberships, newest first. */
export function membershipsOf(db: Executor, participantId: number): Promise<MembershipRow[]> {
  return db.query.memberships.findMany({ where: { participantId }, orderBy: { startedOn: "desc", id: "desc" } });
}

/** Ends the given open memberships on `endedOn` for `reason`; returns the rows as they now are. */
export function endMemberships(
  tx: Transaction,
  ids: number[],
  end: { endedOn: string; reason: MembershipEndReason; jkmClaimReference?: string | null },
): Promise<MembershipRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return tx
    .update(memberships)
    .set({ endedOn: end.endedOn, endReason: end.reason, jkmClaimReference: end.jkmClaimReference ?? null })
    .where(and(inArray(memberships.id, ids), isNull(memberships.endedOn)))
    .returning();
}

/** Opens ended memberships again (a death report withdrawn); returns them as they now are. */
export function reopenMemberships(tx: Transaction, ids: number[]): Promise<MembershipRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return tx
    .update(memberships)
    .set({ endedOn: null, endReason: null, jkmClaimReference: null })
    .where(inArray(memberships.id, ids))
    .returning();
}

/** Opens a membership (its KPJ number from the column's default: the next serial with its check digit). */
export async function insertMembership(
  tx: Transaction,
  row: Omit<typeof memberships.$inferInsert, "id" | "kpj">,
): Promise<MembershipRow> {
  const [created] = await tx.insert(memberships).values(row).returning();
  if (!created) throw new Error("a membership insert returned no row");
  return created;
}

/** Ends every sponsorship still covering the worker, on `endedOn`; returns those sponsorships' ids. */
export async function endSponsorshipsOf(tx: Transaction, participantId: number, endedOn: string): Promise<number[]> {
  const ended = await tx
    .update(sponsorshipEnrollments)
    .set({ endedOn })
    .where(and(eq(sponsorshipEnrollments.participantId, participantId), isNull(sponsorshipEnrollments.endedOn)))
    .returning({ sponsorshipId: sponsorshipEnrollments.sponsorshipId });
  return ended.map((row) => row.sponsorshipId);
}

/**
 * Records what the civil registry decided of these participants, one statement per status; a row
 * whose status stays keeps its `updated_at`. Returns every row as it now is.
 */
export async function setIdentityStatuses(
  tx: Transaction,
  decisions: { id: number; status: IdentityStatus }[],
  at: Date,
): Promise<ParticipantRow[]> {
  const byStatus = new Map<IdentityStatus, number[]>();
  for (const { id, status } of decisions) byStatus.set(status, [...(byStatus.get(status) ?? []), id]);
  const rows: ParticipantRow[] = [];
  for (const [status, ids] of byStatus) {
    rows.push(
      ...(await tx
        .update(participants)
        .set({
          identityStatus: status,
          updatedAt: sql`case when ${participants.identityStatus} = ${status}::identity_status then ${participants.updatedAt} else ${at.toISOString()}::timestamptz end`,
        })
        .where(inArray(participants.id, ids))
        .returning()),
    );
  }
  return rows;
}

/** Moves a participant's referrals and memberships to another record (a duplicate merged into it). */
export async function moveRecordsTo(tx: Transaction, fromId: number, toId: number, at: Date): Promise<void> {
  await tx
    .update(participants)
    .set({ registeredById: toId, updatedAt: at.toISOString() })
    .where(eq(participants.registeredById, fromId));
  await tx.update(memberships).set({ participantId: toId }).where(eq(memberships.participantId, fromId));
}
