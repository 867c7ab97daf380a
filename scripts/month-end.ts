/**
 * `DATABASE_URL=<postgres-url> npm run month-end -- [--check-only]`: what the daily Cron Trigger runs. Compares
 * every dashboard rollup with a full recount and rebuilds those that drifted, after folding
 * long-lapsed months; exits 1 on drift with --check-only.
 */
import { parseArgs } from "node:util";
import { foldLapsedRollups, verifyRollups } from "../src/modules/dashboard/service";
import { scriptDatabaseUrl } from "./database-route";
import { connectNode } from "./node-database";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "check-only": { type: "boolean", default: false } },
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
  if (values["check-only"] && Object.values(report).some((r) => r.drift > 0)) process.exitCode = 1;
} finally {
  await close();
}
