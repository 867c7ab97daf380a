/**
 * Generates the client kit's two build outputs from the checked-in schema and documents:
 * `schema/client/graphql-env.d.ts` (the schema as gql.tada types) and
 * `schema/client/persisted-operations.json` (the trusted documents: id → text, which the API serves
 * to first-party apps). `--check` fails when either is stale, like `schema:check`.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { minifyIntrospection, outputIntrospectionFile } from "@gql.tada/internal";
import { buildSchema, introspectionFromSchema, print } from "graphql";
import { trustedDocuments } from "../schema/client/operations";

const root = new URL("../", import.meta.url);
const schema = buildSchema(await readFile(new URL("schema/schema.graphql", root), "utf8"));
const introspection = outputIntrospectionFile(minifyIntrospection(introspectionFromSchema(schema)), {
  fileType: ".d.ts",
  shouldPreprocess: true,
});

const manifest: Record<string, string> = {};
for (const document of Object.values(trustedDocuments)) {
  const text = print(document);
  manifest[createHash("sha256").update(text).digest("hex")] = text;
}

const outputs = [
  ["schema/client/graphql-env.d.ts", introspection],
  ["schema/client/persisted-operations.json", `${JSON.stringify(manifest, null, 2)}\n`],
] as const;

const check = process.argv.includes("--check");
let stale = false;
for (const [path, content] of outputs) {
  const url = new URL(path, root);
  if (check) {
    const current = await readFile(url, "utf8").catch(() => "");
    if (current !== content) {
      console.error(`${path} is stale: run npm run client:generate`);
      stale = true;
    }
  } else {
    await writeFile(url, content);
    console.log(`Wrote ${path}`);
  }
}
if (stale) process.exit(1);
if (check) console.log("The client kit's generated files are up to date.");
