import { sql } from "drizzle-orm";
import { bigint, check, pgEnum, pgTable, primaryKey, smallint, text, varchar } from "drizzle-orm/pg-core";

/** The five growth ecosystems named in the agency's 2024 strategy. */
export const ecosystemCodes = ["VILLAGE", "MARKET", "ECOMMERCE", "UMKM", "VULNERABLE_WORKERS"] as const;
export type EcosystemCode = (typeof ecosystemCodes)[number];
export const ecosystemCodeEnum = pgEnum("ecosystem_code", ecosystemCodes);

export const ecosystems = pgTable("ecosystems", {
  code: ecosystemCodeEnum("code").primaryKey(),
  name: varchar("name", { length: 80 }).notNull(),
  description: text("description").notNull(),
});

/** Yearly target of *active* (still paying) participants per ecosystem. */
export const ecosystemTargets = pgTable(
  "ecosystem_targets",
  {
    ecosystemCode: ecosystemCodeEnum("ecosystem_code")
      .notNull()
      .references(() => ecosystems.code),
    year: smallint("year").notNull(),
    activeTarget: bigint("active_target", { mode: "number" }).notNull(),
    /** Where the figure comes from, shown with it on the growth line. */
    source: varchar("source", { length: 300 }),
  },
  (t) => [
    primaryKey({ columns: [t.ecosystemCode, t.year] }),
    check("ecosystem_targets_positive", sql`${t.activeTarget} >= 0`),
    check("ecosystem_targets_year", sql`${t.year} between 2000 and 2100`),
  ],
);
