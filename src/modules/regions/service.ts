import { eq } from "drizzle-orm";
import type { Executor } from "../../db/client";
import { type RegionLevel, regions } from "./tables";

/**
 * The codes of a level's regions, in order: the shards the daily job's steps are cut by (a
 * province's or a regency's participants, rollup rows and events).
 */
export async function regionCodesAt(db: Executor, level: RegionLevel): Promise<string[]> {
  const rows = await db.select({ code: regions.code }).from(regions).where(eq(regions.level, level));
  return rows.map((row) => row.code).sort();
}
