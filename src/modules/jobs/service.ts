import type { Database, Transaction } from "../../db/client";
import { claimStep, finishedSteps, pruneCheckpoints, recordStep } from "./store";

/** One step of a job: its work runs in one transaction with the checkpoint that says it is done. */
export interface JobStep {
  name: string;
  run(tx: Transaction): Promise<Record<string, unknown>>;
}

export interface JobRun {
  /** Steps this invocation finished, with what each reported. */
  finished: { step: string; result: Record<string, unknown> }[];
  /** Steps an earlier invocation had finished. */
  earlier: string[];
  /** Steps left for the next invocation (the budget ran out); empty when the run is complete. */
  remaining: string[];
}

/**
 * Runs a job's steps in order, each in its own transaction with its checkpoint, skipping those the
 * run already finished, and starts no step once `budgetMs` has passed: a long job spreads over
 * several invocations (cron ticks), each well inside a Worker's limits, and one cut off anywhere
 * resumes at the step it lost, applied once. `elapsedMs` is the invocation's stopwatch.
 */
export async function runJobSteps(
  db: Database,
  args: {
    job: string;
    runKey: string;
    steps: readonly JobStep[];
    budgetMs: number;
    elapsedMs: () => number;
    finishedAt: () => string;
  },
): Promise<JobRun> {
  const done = new Set((await finishedSteps(db, args.job, args.runKey)).map((row) => row.step));
  const run: JobRun = { finished: [], earlier: [], remaining: [] };
  for (const step of args.steps) {
    if (done.has(step.name)) {
      run.earlier.push(step.name);
      continue;
    }
    if (args.elapsedMs() >= args.budgetMs) {
      run.remaining.push(step.name);
      continue;
    }
    const result = await db.transaction(async (tx) => {
      if (!(await claimStep(tx, args.job, args.runKey, step.name))) return null;
      const reported = await step.run(tx);
      await recordStep(tx, {
        job: args.job,
        runKey: args.runKey,
        step: step.name,
        result: reported,
        finishedAt: args.finishedAt(),
      });
      return reported;
    });
    if (result === null) run.earlier.push(step.name);
    else run.finished.push({ step: step.name, result });
  }
  return run;
}

/** Checkpoints are kept 35 days, then forgotten (the logs keep what each run did). */
export function forgetOldRuns(db: Database, now: Date): Promise<void> {
  return pruneCheckpoints(db, new Date(now.getTime() - 35 * 86_400_000).toISOString());
}
