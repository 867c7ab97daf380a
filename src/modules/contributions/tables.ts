import { pgEnum } from "drizzle-orm/pg-core";

/** Social security programs (UU 24/2011 art. 6(2)): work accident, death, old age, pension, job loss. */
export const programs = ["JKK", "JKM", "JHT", "JP", "JKP"] as const;
export type Program = (typeof programs)[number];
export const programEnum = pgEnum("program", programs);

/** One line of a payment: a program's monthly contribution and its total over the months paid. */
export interface ContributionLineRow {
  program: Program;
  monthlyAmount: string;
  amount: string;
}
