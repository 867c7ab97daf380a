/**
 * Prints the schema (sorted) to schema/schema.graphql; `--check` fails when the checked-in copy
 * is stale, so a contract change is always visible in review.
 */
import { readFile, writeFile } from "node:fs/promises";
import { printSchema } from "graphql";
import { schema } from "../src/schema";

const path = new URL("../schema/schema.graphql", import.meta.url);
const printed = `${printSchema(schema)}\n`;

if (process.argv.includes("--check")) {
  const current = await readFile(path, "utf8").catch(() => "");
  if (current !== printed) {
    console.error("schema/schema.graphql is stale: run `npm run schema:print` and commit the result.");
    process.exit(1);
  }
  console.log("schema/schema.graphql is up to date.");
} else {
  await writeFile(path, printed);
  console.log("Wrote schema/schema.graphql");
}
