import { and, eq, gte, isNull, like, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { wibDayEnd, wibDayStart } from "../../shared/calendar";
import { hasScope, type Viewer } from "../access/rules";
import type { EcosystemCode } from "../ecosystems/tables";
import { type ParticipantStatus, paidThroughRange } from "./rules";
import { participants, type Segment } from "./tables";

export interface ParticipantFilter {
  ecosystem?: EcosystemCode | null;
  status?: ParticipantStatus | null;
  segment?: Segment | null;
  /** A region code at any level; matches every village below it. */
  regionCode?: string | null;
  sponsorId?: number | null;
  /** Inclusive calendar dates in WIB. */
  registeredFrom?: string | null;
  registeredTo?: string | null;
  search?: string | null;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The filter as SQL over `table`, which may be the aliased table of a relational query. Every
 * condition is served by an index on participants (see tables.ts).
 */
export function participantConditions(
  table: typeof participants,
  filter: ParticipantFilter,
  now: Date,
  /** Whether a full NIK may be searched: without `pii:read` it would be an oracle for unmasked NIKs. */
  nikSearch = true,
): SQL {
  const conditions: (SQL | undefined)[] = [];
  if (filter.ecosystem) conditions.push(eq(table.ecosystemCode, filter.ecosystem));
  if (filter.segment) conditions.push(eq(table.segment, filter.segment));
  if (filter.sponsorId != null) conditions.push(eq(table.sponsorId, filter.sponsorId));
  if (filter.regionCode) conditions.push(regionCondition(table, filter.regionCode));
  if (filter.status) {
    const range = paidThroughRange(filter.status, now);
    if ("isNull" in range) conditions.push(isNull(table.paidThrough));
    else {
      if (range.from) conditions.push(gte(table.paidThrough, range.from));
      if (range.before) conditions.push(lt(table.paidThrough, range.before));
    }
  }
  if (filter.registeredFrom) conditions.push(gte(table.registeredAt, wibDayStart(filter.registeredFrom)));
  if (filter.registeredTo) conditions.push(lt(table.registeredAt, wibDayEnd(filter.registeredTo)));
  const search = filter.search?.trim();
  if (search) {
    conditions.push(
      /^[0-9]{16}$/.test(search)
        ? nikSearch
          ? eq(table.nik, search)
          : sql`false`
        : sql`lower(${table.fullName}) like ${`${escapeLike(search.toLowerCase())}%`}`,
    );
  }
  return and(...conditions) ?? sql`true`;
}

/** The rows a viewer may see, as SQL: the list form of `canSeeParticipant`. */
export function participantVisibility(table: typeof participants, viewer: Viewer): SQL {
  if (viewer.kind !== "user") return sql`false`;
  switch (viewer.role) {
    case "ADMIN":
      return sql`true`;
    case "OFFICER":
      return viewer.regionCode ? regionCondition(table, viewer.regionCode) : sql`false`;
    case "SPONSOR":
      return viewer.sponsorId ? eq(table.sponsorId, viewer.sponsorId) : sql`false`;
    case "PARTICIPANT":
      return viewer.participantId ? eq(table.id, viewer.participantId) : sql`false`;
    case "PARTNER":
      if (viewer.sponsorId) return eq(table.sponsorId, viewer.sponsorId);
      return viewer.scopes.has("participants:read") ? sql`true` : sql`false`;
  }
}

/** A village matches itself; a higher level matches its dotted prefix (village codes are full four-level codes). */
function regionCondition(table: typeof participants, regionCode: string): SQL {
  return regionCode.split(".").length === 4
    ? eq(table.villageCode, regionCode)
    : like(table.villageCode, `${escapeLike(regionCode)}.%`);
}

export function visibleParticipants(table: typeof participants, filter: ParticipantFilter, viewer: Viewer, now: Date) {
  const conditions = participantConditions(table, filter, now, hasScope(viewer, "pii:read"));
  return and(participantVisibility(table, viewer), conditions) ?? sql`true`;
}

export function countParticipants(db: Database, filter: ParticipantFilter, viewer: Viewer, now: Date): Promise<number> {
  return db.$count(participants, visibleParticipants(participants, filter, viewer, now));
}
