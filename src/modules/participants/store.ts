import { and, eq, gte, isNull, like, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { wibDayEnd, wibDayStart } from "../../shared/calendar";
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
export function participantConditions(table: typeof participants, filter: ParticipantFilter, now: Date): SQL {
  const conditions: (SQL | undefined)[] = [];
  if (filter.ecosystem) conditions.push(eq(table.ecosystemCode, filter.ecosystem));
  if (filter.segment) conditions.push(eq(table.segment, filter.segment));
  if (filter.sponsorId != null) conditions.push(eq(table.sponsorId, filter.sponsorId));
  if (filter.regionCode) {
    // Village codes are full four-level codes, so a village matches itself and a higher level its dotted prefix.
    conditions.push(
      filter.regionCode.split(".").length === 4
        ? eq(table.villageCode, filter.regionCode)
        : like(table.villageCode, `${escapeLike(filter.regionCode)}.%`),
    );
  }
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
        ? eq(table.nik, search)
        : sql`lower(${table.fullName}) like ${`${escapeLike(search.toLowerCase())}%`}`,
    );
  }
  return and(...conditions) ?? sql`true`;
}

export function countParticipants(db: Database, filter: ParticipantFilter, now: Date): Promise<number> {
  return db.$count(participants, participantConditions(participants, filter, now));
}
