/**
 * `DATABASE_URL=<postgres-url> npm run month-end -- [--check-only] [--backfill-history]`: what the daily Cron
 * Trigger runs (its steps, `dailyJobSteps`, all at once, every regency's proof included rather
 * than the day's turn of them). Folds long-lapsed months, compares
 * every dashboard rollup with a full recount and rebuilds those that drifted, and closes last month
 * into the coverage history (the two before it again, for late corrections); with --check-only it
 * writes nothing and exits 1 on drift.
 * --backfill-history first reconstructs every month before history was kept, reporting how long.
 */
import { parseArgs } from "node:util";
import { DAILY_JOB, dailyJobSteps } from "../src/daily-job";
import { backfillCoverageHistory, verifyRollups } from "../src/modules/dashboard/service";
import { runJobSteps } from "../src/modules/jobs/service";
import { scriptDatabaseUrl } from "./database-route";
import { connectNode } from "./node-database";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "check-only": { type: "boolean", default: false },
    "backfill-history": { type: "boolean", default: false },
  },
});
const url = scriptDatabaseUrl(positionals[0]);
if (!url) {
  console.error("usage: DATABASE_URL=<postgres-url> npm run month-end -- [--check-only]");
  process.exit(2);
}
const { db, close } = await connectNode(url);
try {
  if (values["check-only"]) {
    const report = await verifyRollups(db, { repair: false });
    console.table(report);
    if (Object.values(report).some((r) => r.drift > 0)) process.exitCode = 1;
  } else {
    const now = new Date();
    if (values["backfill-history"]) {
      const started = performance.now();
      const months = await backfillCoverageHistory(db, now);
      console.log(
        `reconstructed ${months} months of coverage history in ${Math.round(performance.now() - started)} ms`,
      );
    }
    // The cron's steps, all of them now, every regency proved rather than today's turn (a run of
    // its own: the cron's checkpoints are not touched).
    const started = performance.now();
    const run = await runJobSteps(db, {
      job: DAILY_JOB,
      runKey: `by-hand:${now.toISOString()}`,
      steps: await dailyJobSteps(db, now, { everyShard: true }),
      budgetMs: Number.POSITIVE_INFINITY,
      elapsedMs: () => performance.now() - started,
      finishedAt: () => new Date().toISOString(),
    });
    console.table(Object.fromEntries(run.finished.map(({ step, result }) => [step, result])));
    console.log(`daily job by hand: ${run.finished.length} steps in ${Math.round(performance.now() - started)} ms`);
  }
} finally {
  await close();
}
