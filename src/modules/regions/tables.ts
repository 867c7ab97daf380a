import { sql } from "drizzle-orm";
import { type AnyPgColumn, check, index, pgEnum, pgTable, varchar } from "drizzle-orm/pg-core";

/** Kemendagri administrative levels; a code's dot-separated depth is its level. */
export const regionLevels = ["PROVINCE", "REGENCY", "DISTRICT", "VILLAGE"] as const;
export type RegionLevel = (typeof regionLevels)[number];
export const regionLevelEnum = pgEnum("region_level", regionLevels);

export const regions = pgTable(
  "regions",
  {
    /** Kemendagri code: `31`, `31.71`, `31.71.01`, `31.71.01.1001`. */
    code: varchar("code", { length: 13 }).primaryKey(),
    name: varchar("name", { length: 120 }).notNull(),
    level: regionLevelEnum("level").notNull(),
    parentCode: varchar("parent_code", { length: 13 }).references((): AnyPgColumn => regions.code),
  },
  (t) => [
    index("regions_parent_code_idx").on(t.parentCode, t.code),
    check("regions_code_format", sql`${t.code} ~ '^[0-9]{2}(\\.[0-9]{2}(\\.[0-9]{2}(\\.[0-9]{4})?)?)?$'`),
  ],
);
