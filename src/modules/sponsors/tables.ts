import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgTable,
  smallint,
  timestamp,
  varchar,
} from "drizzle-orm/pg-core";
import { programEnum } from "../contributions/tables";

export const sponsorKinds = ["COMPANY", "GOVERNMENT", "NGO", "INDIVIDUAL"] as const;
export const sponsorKindEnum = pgEnum("sponsor_kind", sponsorKinds);

/** Sertakan and Nyalakan are the agency's movements; CSR budgets fund the same enrollments. */
export const sponsorPrograms = ["SERTAKAN", "NYALAKAN", "CSR", "OTHER"] as const;
export const sponsorProgramEnum = pgEnum("sponsor_program", sponsorPrograms);

export const sponsors = pgTable(
  "sponsors",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    name: varchar("name", { length: 160 }).notNull(),
    kind: sponsorKindEnum("kind").notNull(),
    program: sponsorProgramEnum("program").notNull(),
    contactEmail: varchar("contact_email", { length: 254 }),
    contactPhone: varchar("contact_phone", { length: 16 }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [index("sponsors_name_idx").on(t.name)],
);

/** A commitment to pay for a set of workers, for some months, with given programs, within a budget. */
export const sponsorships = pgTable(
  "sponsorships",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sponsorId: bigint("sponsor_id", { mode: "number" })
      .notNull()
      .references(() => sponsors.id),
    programs: programEnum("programs").array().notNull(),
    monthsPerPeriod: smallint("months_per_period").notNull(),
    maxParticipants: integer("max_participants").notNull(),
    budget: bigint("budget", { mode: "bigint" }).notNull(),
    spent: bigint("spent", { mode: "bigint" }).notNull().default(sql`0`),
    /** A budget a sponsor asked for, waiting for the agency (ADMIN) to set it: a sponsor cannot fund itself by saying so. */
    requestedBudget: bigint("requested_budget", { mode: "bigint" }),
    startsOn: date("starts_on", { mode: "string" }).notNull(),
    endsOn: date("ends_on", { mode: "string" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    index("sponsorships_sponsor_idx").on(t.sponsorId),
    check("sponsorships_money", sql`${t.budget} >= 0 and ${t.spent} >= 0 and ${t.spent} <= ${t.budget}`),
    check("sponsorships_months", sql`${t.monthsPerPeriod} in (1, 3, 6, 12)`),
    check("sponsorships_max_participants", sql`${t.maxParticipants} > 0`),
    check("sponsorships_period", sql`${t.endsOn} >= ${t.startsOn}`),
  ],
);
