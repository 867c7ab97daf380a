import { eq, type SQL, sql } from "drizzle-orm";
import type { Viewer } from "../access/rules";
import type { sponsors } from "./tables";

/**
 * SQL predicates on sponsors that other modules compose into their statements (the read planner's
 * per-object check): the sponsors module's public surface for SQL.
 */

/** Whether a viewer may see a sponsor; `sponsorVisibility` below is the same rule as SQL. */
export function canSeeSponsor(viewer: Viewer, sponsorId: number): boolean {
  if (viewer.kind !== "user") return false;
  if (viewer.role === "ADMIN" || viewer.role === "OFFICER") return true;
  if (viewer.sponsorId !== undefined) return viewer.sponsorId === sponsorId;
  return viewer.role === "PARTNER" && viewer.scopes.has("sponsors:read");
}

/** The sponsors a viewer may see, as SQL: the list form of `canSeeSponsor`. */
export function sponsorVisibility(table: typeof sponsors, viewer: Viewer): SQL {
  if (viewer.kind !== "user") return sql`false`;
  if (viewer.role === "ADMIN" || viewer.role === "OFFICER") return sql`true`;
  if (viewer.sponsorId !== undefined) return eq(table.id, viewer.sponsorId);
  return viewer.role === "PARTNER" && viewer.scopes.has("sponsors:read") ? sql`true` : sql`false`;
}
