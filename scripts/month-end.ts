/**
 * `npm run month-end -- <postgres-url> [--check-only]`: what the daily Cron Trigger runs. Compares
 * every dashboard rollup with a full recount and rebuilds those that drifted; exits 1 on drift
 * with --check-only.
 */
import { parseArgs } from "node:util";
import { verifyRollups } from "../src/modules/dashboard/service";
import { closeNodeProxy, connectNode } from "./node-database";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "check-only": { type: "boolean", default: false } },
});
const url = positionals[0] ?? process.env.DATABASE_URL;
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
  await closeNodeProxy();
}
