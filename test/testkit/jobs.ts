import type { Database } from "../../src/db/client";
import { type JobStep, runJobSteps } from "../../src/modules/jobs/service";

let runs = 0;

/**
 * Runs job steps to the end in a run of their own (no budget, checkpoints stamped at `now`), as
 * the daily job would on the day of `now`; returns what each step reported, by step name.
 */
export async function runSteps(
  db: Database,
  steps: readonly JobStep[],
  now: Date,
): Promise<Record<string, Record<string, unknown>>> {
  const run = await runJobSteps(db, {
    job: "test-steps",
    runKey: `test:${++runs}`,
    steps,
    budgetMs: Number.POSITIVE_INFINITY,
    elapsedMs: () => 0,
    finishedAt: () => now.toISOString(),
  });
  return Object.fromEntries(run.finished.map(({ step, result }) => [step, result]));
}
