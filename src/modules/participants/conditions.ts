import { and, eq, gte, like, lt, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { wibDayEnd, wibDayStart } from "../../shared/calendar";
import { type AuthenticatedViewer, hasScope, inRegion, type Viewer } from "../access/rules";
import type { EcosystemCode } from "../ecosystems/tables";
import { hasExited, type ParticipantStatus, statusCondition } from "./rules";
import type { IdentityStatus, participants, Segment } from "./tables";

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
 * Row-level visibility of a participant, for one row in hand; `participantVisibility` below is the
 * same rule as SQL for lists (their agreement is a property test, test/security.test.ts).
 */
export function canSeeParticipant(
  viewer: Viewer,
  participant: {
    id: number;
    villageCode: string;
    sponsorId: number | null;
    registeredById: number | null;
    registeredBySubject: string | null;
  },
): boolean {
  if (viewer.kind !== "user") return false;
  // Whoever registered a worker (Nyalakan, a partner's app) may see that worker's record.
  if (participant.registeredBySubject === viewer.subject) return true;
  switch (viewer.role) {
    case "ADMIN":
      return true;
    case "OFFICER":
      return viewer.regionCode !== undefined && inRegion(participant.villageCode, viewer.regionCode);
    case "SPONSOR":
      return viewer.sponsorId !== undefined && participant.sponsorId === viewer.sponsorId;
    case "PARTICIPANT":
      return participant.id === viewer.participantId || participant.registeredById === viewer.participantId;
    case "PARTNER":
      return viewer.sponsorId !== undefined
        ? participant.sponsorId === viewer.sponsorId
        : viewer.scopes.has("participants:read");
  }
}

/** The rows a viewer may see, as SQL: the list form of `canSeeParticipant`. */
export function participantVisibility(table: VisibilityColumns, viewer: Viewer): SQL {
  if (viewer.kind !== "user") return sql`false`;
  if (viewer.role === "ADMIN") return sql`true`;
  return or(eq(table.registeredBySubject, viewer.subject), roleScopeSql(roleScope(table, viewer))) ?? sql`false`;
}

/**
 * `participantVisibility` as disjoint parts whose union it is: the role's own scope (an officer's
 * region, a sponsor's workers) first, then the workers the viewer registered that the scope does not
 * already hold. A statement that pages or counts a large scope reads each part from its own index;
 * one `or` over both would have PostgreSQL recheck every candidate row in the table itself. None
 * when the viewer may see nobody.
 */
export function participantVisibilityParts(table: VisibilityColumns, viewer: Viewer): SQL[] {
  if (viewer.kind !== "user") return [];
  if (viewer.role === "ADMIN") return [sql`true`];
  const scope = roleScope(table, viewer);
  const registered = eq(table.registeredBySubject, viewer.subject);
  if (scope === "everyone") return [sql`true`];
  if (scope === "no one") return [registered];
  return [scope, sql`${registered} and (${scope}) is not true`];
}

/** The visible rows that match a filter, as disjoint parts (`participantVisibilityParts`). */
export function visibleParticipantParts(
  table: typeof participants,
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
): SQL[] {
  const conditions = participantConditions(table, filter, now, hasScope(viewer, "pii:read"));
  return participantVisibilityParts(table, viewer).map((part) => and(part, conditions) as SQL);
}

/** The first of `visibleParticipantParts` when it is exactly a region's workers: see `scopeAsRegion`. */
export interface RegionScope {
  /** A province, regency or district code; null for the whole country. */
  regionCode: string | null;
  ecosystem: EcosystemCode | null;
  segment: Segment | null;
  status: ParticipantStatus | null;
}

/**
 * The role's part of a viewer's filtered rows (the first of `visibleParticipantParts`) as a region
 * of at most district grain, with an ecosystem, segment and status: what a rollup by region can
 * count without reading participants. Null when the part is anything narrower (a sponsor's workers,
 * a village, a name search, registration dates) or the viewer sees no region at all.
 */
export function scopeAsRegion(viewer: Viewer, filter: ParticipantFilter): RegionScope | null {
  if (viewer.kind !== "user") return null;
  if (
    filter.sponsorId != null ||
    filter.identityStatus ||
    filter.registeredFrom ||
    filter.registeredTo ||
    filter.search?.trim()
  )
    return null;
  const reach = roleReach(viewer);
  if (reach.kind !== "everyone" && reach.kind !== "region") return null;
  let regionCode = reach.kind === "region" ? reach.regionCode : null;
  if (filter.regionCode) {
    if (regionCode === null || filter.regionCode.startsWith(`${regionCode}.`)) regionCode = filter.regionCode;
    else if (!(regionCode === filter.regionCode || regionCode.startsWith(`${filter.regionCode}.`))) return null;
  }
  if (regionCode !== null && regionCode.split(".").length > 3) return null;
  return {
    regionCode,
    ecosystem: filter.ecosystem ?? null,
    segment: filter.segment ?? null,
    status: filter.status ?? null,
  };
}

type RoleScope = SQL | "everyone" | "no one";

function roleScopeSql(scope: RoleScope): SQL {
  return scope === "everyone" ? sql`true` : scope === "no one" ? sql`false` : scope;
}

/** Whom a role sees beyond the workers the viewer registered. */
type RoleReach =
  | { kind: "everyone" }
  | { kind: "no one" }
  | { kind: "region"; regionCode: string }
  | { kind: "sponsor"; sponsorId: number }
  | { kind: "registrant"; participantId: number };

function roleReach(viewer: AuthenticatedViewer): RoleReach {
  switch (viewer.role) {
    case "ADMIN":
      return { kind: "everyone" };
    case "OFFICER":
      return viewer.regionCode ? { kind: "region", regionCode: viewer.regionCode } : { kind: "no one" };
    case "SPONSOR":
      return viewer.sponsorId ? { kind: "sponsor", sponsorId: viewer.sponsorId } : { kind: "no one" };
    case "PARTICIPANT":
      return viewer.participantId ? { kind: "registrant", participantId: viewer.participantId } : { kind: "no one" };
    case "PARTNER":
      if (viewer.sponsorId) return { kind: "sponsor", sponsorId: viewer.sponsorId };
      return viewer.scopes.has("participants:read") ? { kind: "everyone" } : { kind: "no one" };
  }
}

function roleScope(table: VisibilityColumns, viewer: AuthenticatedViewer): RoleScope {
  const reach = roleReach(viewer);
  switch (reach.kind) {
    case "everyone":
    case "no one":
      return reach.kind;
    case "region":
      return regionCondition(table, reach.regionCode);
    case "sponsor":
      return eq(table.sponsorId, reach.sponsorId);
    case "registrant":
      return or(eq(table.id, reach.participantId), eq(table.registeredById, reach.participantId)) as SQL;
  }
}

/** A village matches itself; a higher level matches its dotted prefix (village codes are full four-level codes). */
export function regionCondition(table: { villageCode: AnyPgColumn }, regionCode: string): SQL {
  return regionCode.split(".").length === 4
    ? eq(table.villageCode, regionCode)
    : like(table.villageCode, `${escapeLike(regionCode)}.%`);
}

export interface ParticipantFilter {
  ecosystem?: EcosystemCode | null;
  status?: ParticipantStatus | null;
  /** What the civil registry said: an officer's list of DECEASED results to confirm, say. */
  identityStatus?: IdentityStatus | null;
  segment?: Segment | null;
  /** A region code at any level; matches every village below it. */
  regionCode?: string | null;
  sponsorId?: number | null;
  /** Inclusive calendar dates in WIB. */
  registeredFrom?: string | null;
  registeredTo?: string | null;
  search?: string | null;
}

/**
 * The filter as SQL over `table`, which may be the aliased table of a relational query. Every
 * condition is served by an index on participants (see tables.ts).
 */
export function participantConditions(
  table: typeof participants,
  filter: ParticipantFilter,
  now: Date,
  /** Whether NIK digits may be searched: without `pii:read` it would be an oracle for masked digits. */
  nikSearch = true,
): SQL {
  const conditions: (SQL | undefined)[] = [];
  if (filter.ecosystem) conditions.push(eq(table.ecosystemCode, filter.ecosystem));
  if (filter.segment) conditions.push(eq(table.segment, filter.segment));
  if (filter.identityStatus) conditions.push(eq(table.identityStatus, filter.identityStatus));
  if (filter.sponsorId != null) conditions.push(eq(table.sponsorId, filter.sponsorId));
  if (filter.regionCode) conditions.push(regionCondition(table, filter.regionCode));
  if (filter.status) conditions.push(statusCondition(table.paidThrough, hasExited(table), filter.status, now));
  if (filter.registeredFrom) conditions.push(gte(table.registeredAt, wibDayStart(filter.registeredFrom)));
  if (filter.registeredTo) conditions.push(lt(table.registeredAt, wibDayEnd(filter.registeredTo)));
  const search = filter.search?.trim();
  if (search) {
    conditions.push(
      /^[0-9]{16}$/.test(search)
        ? nikSearch
          ? eq(table.nik, search)
          : sql`false`
        : /^[0-9]{4}$/.test(search)
          ? nikSearch
            ? sql`right(${table.nik}, 4) = ${search}`
            : sql`false`
          : sql`lower(${table.fullName}) like ${`${escapeLike(search.toLowerCase())}%`}`,
    );
  }
  return and(...conditions) ?? sql`true`;
}

export function visibleParticipants(table: typeof participants, filter: ParticipantFilter, viewer: Viewer, now: Date) {
  const conditions = participantConditions(table, filter, now, hasScope(viewer, "pii:read"));
  return and(participantVisibility(table, viewer), conditions) ?? sql`true`;
}
