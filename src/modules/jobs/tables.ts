import { jsonb, pgTable, primaryKey, timestamp, varchar } from "drizzle-orm/pg-core";

/**
 * What each run of a scheduled job has finished: one row per job, run and step, written in the
 * same transaction as the step's work. A run cut off (a Worker's time limit, a lost connection, a
 * deploy) is carried forward by the next invocation from the first step without a row, and no step
 * is ever applied twice.
 */
export const jobCheckpoints = pgTable(
  "job_checkpoints",
  {
    job: varchar("job", { length: 60 }).notNull(),
    /** Which run: the WIB day of a daily job. */
    runKey: varchar("run_key", { length: 40 }).notNull(),
    step: varchar("step", { length: 80 }).notNull(),
    result: jsonb("result").$type<Record<string, unknown>>().notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.runKey, t.step] })],
);
