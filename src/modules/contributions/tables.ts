import { pgEnum } from "drizzle-orm/pg-core";
import { type Program, programs } from "../../shared/programs";

// The values live in a leaf (shared/programs.ts) that the GraphQL enums share; the table makes them
// a PostgreSQL enum and offers them where a reader of the schema looks.
export { type Program, programs };
export const programEnum = pgEnum("program", programs);

/** One line of a payment: a program's monthly contribution and its total over the months paid. */
export interface ContributionLineRow {
  program: Program;
  monthlyAmount: string;
  amount: string;
}
