import { eq, type SQL, sql } from "drizzle-orm";
import type { Viewer } from "../access/rules";
import type { sponsors } from "./tables";

/** The sponsors a viewer may see, as SQL: the list form of `canSeeSponsor`. */
export function sponsorVisibility(table: typeof sponsors, viewer: Viewer): SQL {
  if (viewer.kind !== "user") return sql`false`;
  if (viewer.role === "ADMIN" || viewer.role === "OFFICER") return sql`true`;
  if (viewer.sponsorId !== undefined) return eq(table.id, viewer.sponsorId);
  return viewer.role === "PARTNER" && viewer.scopes.has("sponsors:read") ? sql`true` : sql`false`;
}
