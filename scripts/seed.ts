/**
 * `npm run db:seed -- <postgres-url> [--participants N]`: reference data (regions, ecosystems,
 * targets) and, on an empty database, the demo participants, sponsors and payments.
 */
import { parseArgs } from "node:util";
import { scriptDatabaseUrl } from "./database-route";
import { connectNode } from "./node-database";
import { seedDemoData } from "./seed/demo";
import { seedReferenceData } from "./seed/reference";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { participants: { type: "string", default: "2000" }, "reference-only": { type: "boolean", default: false } },
});
const url = scriptDatabaseUrl(positionals[0]);
if (!url) {
  console.error("usage: npm run db:seed -- <postgres-url> [--participants N] [--reference-only]");
  process.exit(2);
}
const { db, close } = await connectNode(url);
const reference = await seedReferenceData(db);
console.log(`Reference data: ${reference.regions} regions, 5 ecosystems.`);
if (!values["reference-only"]) {
  const demo = await seedDemoData(db, { participants: Number(values.participants) });
  console.log(`Demo data: ${demo.participants} participants, ${demo.payments} payments.`);
}
await close();
