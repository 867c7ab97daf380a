/**
 * `npm run month-end -- <postgres-url> [--check-only]`: what the daily Cron Trigger runs. Compares
 * every dashboard rollup with a full recount and rebuilds those that drifted; exits 1 on drift
 * with --check-only.
 */
import { parseArgs } from "node:util";
import { verifyRollups } from "../src/modules/dashboard/service";
import { scriptDatabaseUrl } from "./database-route";
import { connectNode } from "./node-database";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "check-only": { type: "boolean", default: false } },
});
const url = scriptDatabaseUrl(positionals[0]);
if (!url) {
  console.error("usage: npm run month-end -- <postgres-url> [--check-only]");
  process.exit(2);
}
const { db, close } = await connectNode(url);
try {
  const report = await verifyRollups(db, { repair: !values["check-only"] });
  console.table(report);
  if (values["check-only"] && Object.values(report).some((r) => r.drift > 0)) process.exitCode = 1;
} finally {
  await close();
}
