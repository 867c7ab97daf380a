import { and, eq, sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client";
import { jobCheckpoints } from "./tables";

export type CheckpointRow = typeof jobCheckpoints.$inferSelect;

/** The steps a run has finished, with what each reported. */
export function finishedSteps(db: Executor, job: string, runKey: string): Promise<CheckpointRow[]> {
  return db
    .select()
    .from(jobCheckpoints)
    .where(and(eq(jobCheckpoints.job, job), eq(jobCheckpoints.runKey, runKey)));
}

/**
 * Holds one step of one run until the transaction ends, and says whether it is still to do: a
 * second invocation overlapping the first waits here, then finds the step finished.
 */
export async function claimStep(tx: Transaction, job: string, runKey: string, step: string): Promise<boolean> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${job}/${runKey}/${step}`}))`);
  const [done] = await tx
    .select({ step: jobCheckpoints.step })
    .from(jobCheckpoints)
    .where(and(eq(jobCheckpoints.job, job), eq(jobCheckpoints.runKey, runKey), eq(jobCheckpoints.step, step)));
  return done === undefined;
}

export async function recordStep(tx: Transaction, row: typeof jobCheckpoints.$inferInsert): Promise<void> {
  await tx.insert(jobCheckpoints).values(row);
}

/** Forgets runs finished before `before` (their rows only say they happened). */
export async function pruneCheckpoints(db: Executor, before: string): Promise<void> {
  await db.delete(jobCheckpoints).where(sql`${jobCheckpoints.finishedAt} < ${before}::timestamptz`);
}
