/**
 * Partner API keys, on the database in DATABASE_URL (or a URL given after the command):
 * Create:  npm run api-key -- create --name "Bank X" --scopes participants:register,payments:write [--sponsor <id>]
 * Revoke:  npm run api-key -- revoke <prefix>
 * The key is printed once; only its SHA-256 hash is stored.
 */
import { parseArgs } from "node:util";
import { scopes } from "../src/modules/access/rules";
import { generateApiKey } from "../src/modules/credentials/api-keys";
import { insertApiKey, revokeApiKey } from "../src/modules/credentials/store";
import { scriptDatabaseUrl } from "./database-route";
import { connectNode } from "./node-database";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: "string" }, scopes: { type: "string", default: "" }, sponsor: { type: "string" } },
});
const [command, ...rest] = positionals;
// A URL right after the command is still accepted (`create <url>`, `revoke <url> <prefix>`).
const explicitUrl = rest[0]?.startsWith("postgres") ? rest.shift() : undefined;
const url = scriptDatabaseUrl(explicitUrl);
const prefix = rest[0];
if (!url || (command !== "create" && command !== "revoke") || (command === "revoke" && !prefix)) {
  console.error(
    "usage: DATABASE_URL=<postgres-url> npm run api-key -- create --name NAME --scopes a,b | revoke <prefix>",
  );
  process.exit(2);
}
const { db, close } = await connectNode(url);
try {
  if (command === "create") {
    const requested = (values.scopes ?? "").split(",").filter(Boolean);
    const unknown = requested.filter((s) => !(scopes as readonly string[]).includes(s));
    if (!values.name || unknown.length > 0) {
      console.error(`--name is required; scopes must be among ${scopes.join(", ")}`);
      process.exitCode = 2;
    } else {
      const generated = await generateApiKey();
      await insertApiKey(db, {
        name: values.name,
        prefix: generated.prefix,
        secretHash: generated.secretHash,
        scopes: requested,
        sponsorId: values.sponsor ? Number(values.sponsor) : null,
        createdAt: new Date().toISOString(),
      });
      console.log(generated.key);
    }
  } else if (prefix) {
    const revoked = await revokeApiKey(db, prefix, new Date().toISOString());
    console.log(revoked ? `Revoked ${prefix}` : `No key with prefix ${prefix}`);
    if (!revoked) process.exitCode = 1;
  }
} finally {
  await close();
}
