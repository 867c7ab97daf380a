import { and, eq, gte, isNull, like, lt, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { AuthenticatedViewer, Viewer } from "../access/rules";
import { type ParticipantStatus, paidThroughRange } from "./rules";

/**
 * SQL predicates on participants that other modules compose into their own statements (payments
 * visible through their participant, the dashboard's status buckets): the participants module's
 * public surface for SQL. They read columns only; the queries stay in each module's store.
 */

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The columns visibility reads; an aliased participants table has them too. */
type VisibilityColumns = {
  id: AnyPgColumn;
  villageCode: AnyPgColumn;
  sponsorId: AnyPgColumn;
  registeredById: AnyPgColumn;
  registeredBySubject: AnyPgColumn;
};

/**
 * Participants of a status today as a condition on a paid-through column (participants, or the
 * dashboard's rollup buckets): the ranges of `paidThroughRange`, so an index range scan.
 */
export function paidThroughCondition(column: AnyPgColumn, status: ParticipantStatus, now: Date): SQL {
  const range = paidThroughRange(status, now);
  if ("isNull" in range) return isNull(column);
  return (
    and(range.from ? gte(column, range.from) : undefined, range.before ? lt(column, range.before) : undefined) ??
    sql`true`
  );
}

/** The rows a viewer may see, as SQL: the list form of `canSeeParticipant`. */
export function participantVisibility(table: VisibilityColumns, viewer: Viewer): SQL {
  if (viewer.kind !== "user") return sql`false`;
  if (viewer.role === "ADMIN") return sql`true`;
  return or(eq(table.registeredBySubject, viewer.subject), roleVisibility(table, viewer)) ?? sql`false`;
}

function roleVisibility(table: VisibilityColumns, viewer: AuthenticatedViewer): SQL {
  switch (viewer.role) {
    case "ADMIN":
      return sql`true`;
    case "OFFICER":
      return viewer.regionCode ? regionCondition(table, viewer.regionCode) : sql`false`;
    case "SPONSOR":
      return viewer.sponsorId ? eq(table.sponsorId, viewer.sponsorId) : sql`false`;
    case "PARTICIPANT":
      return viewer.participantId
        ? (or(eq(table.id, viewer.participantId), eq(table.registeredById, viewer.participantId)) ?? sql`false`)
        : sql`false`;
    case "PARTNER":
      if (viewer.sponsorId) return eq(table.sponsorId, viewer.sponsorId);
      return viewer.scopes.has("participants:read") ? sql`true` : sql`false`;
  }
}

/** A village matches itself; a higher level matches its dotted prefix (village codes are full four-level codes). */
export function regionCondition(table: { villageCode: AnyPgColumn }, regionCode: string): SQL {
  return regionCode.split(".").length === 4
    ? eq(table.villageCode, regionCode)
    : like(table.villageCode, `${escapeLike(regionCode)}.%`);
}
