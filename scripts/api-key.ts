/**
 * Partner API keys. Create:  npm run api-key -- create <postgres-url> --name "Bank X" --scopes participants:register,payments:write [--sponsor <id>]
 * Revoke:                    npm run api-key -- revoke <postgres-url> <prefix>
 * The key is printed once; only its SHA-256 hash is stored.
 */
import { parseArgs } from "node:util";
import { generateApiKey } from "../src/modules/access/api-keys";
import { scopes } from "../src/modules/access/rules";
import { insertApiKey, revokeApiKey } from "../src/modules/access/store";
import { closeNodeProxy, connectNode } from "./node-database";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: "string" }, scopes: { type: "string", default: "" }, sponsor: { type: "string" } },
});
const [command, url, prefix] = positionals;
if (!url || (command !== "create" && command !== "revoke") || (command === "revoke" && !prefix)) {
  console.error(
    "usage: npm run api-key -- create <postgres-url> --name NAME --scopes a,b | revoke <postgres-url> <prefix>",
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
  await closeNodeProxy();
}
