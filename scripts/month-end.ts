/**
 * `DATABASE_URL=<postgres-url> npm run month-end -- [--check-only] [--backfill-history]`: what the daily Cron
 * Trigger runs. Compares every dashboard rollup with a full recount and rebuilds those that
 * drifted, after folding long-lapsed months, and closes last month into the coverage history (the
 * two before it again, for late corrections); exits 1 on drift with --check-only.
 * --backfill-history first reconstructs every month before history was kept, reporting how long.
 */
import { parseArgs } from "node:util";
import {
  backfillCoverageHistory,
  closeRecentMonths,
  foldLapsedRollups,
  verifyRollups,
} from "../src/modules/dashboard/service";
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
  // As the cron does: long-lapsed months fold first (not with --check-only, which writes nothing).
  if (!values["check-only"]) console.log(`folded ${await foldLapsedRollups(db, new Date())} rollup rows`);
  const report = await verifyRollups(db, { repair: !values["check-only"] });
  console.table(report);
  if (!values["check-only"]) {
    const now = new Date();
    if (values["backfill-history"]) {
      const started = performance.now();
      const months = await backfillCoverageHistory(db, now);
      console.log(
        `reconstructed ${months} months of coverage history in ${Math.round(performance.now() - started)} ms`,
      );
    }
    const started = performance.now();
    const written = await closeRecentMonths(db, now);
    console.log(
      `closed recent months: ${written} history rows written in ${Math.round(performance.now() - started)} ms`,
    );
  }
  if (values["check-only"] && Object.values(report).some((r) => r.drift > 0)) process.exitCode = 1;
} finally {
  await close();
}
