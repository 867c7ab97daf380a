/**
 * Compares the schema (schema/schema.graphql) with the last released one (schema/released.graphql)
 * and lists what would break or surprise a client. Fails when a breaking change is not named in
 * schema/CHANGELOG.md's "Unreleased" section, so no client is surprised by one. `--release` makes the
 * current schema the released one (run it when a version ships, together with the CHANGELOG).
 */
import { readFile, writeFile } from "node:fs/promises";
import { buildSchema, findBreakingChanges, findDangerousChanges } from "graphql";
import { unacknowledgedChanges } from "./schema-changes-rules";

const root = new URL("../", import.meta.url);
const current = await readFile(new URL("schema/schema.graphql", root), "utf8");

if (process.argv.includes("--release")) {
  await writeFile(new URL("schema/released.graphql", root), current);
  console.log("schema/released.graphql is now the current schema.");
  process.exit(0);
}

const released = buildSchema(await readFile(new URL("schema/released.graphql", root), "utf8"));
const next = buildSchema(current);
const breaking = findBreakingChanges(released, next);
const dangerous = findDangerousChanges(released, next);
for (const change of breaking) console.log(`BREAKING  ${change.type}: ${change.description}`);
for (const change of dangerous) console.log(`dangerous ${change.type}: ${change.description}`);
console.log(`${breaking.length} breaking, ${dangerous.length} dangerous change(s) since the last release.`);

const changelog = await readFile(new URL("schema/CHANGELOG.md", root), "utf8");
const missing = unacknowledgedChanges(breaking, changelog);
if (missing.length > 0) {
  console.error("Breaking changes not named in schema/CHANGELOG.md's Unreleased section:");
  for (const change of missing) console.error(`  ${change.description}`);
  process.exit(1);
}
