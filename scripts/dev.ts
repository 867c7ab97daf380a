/**
 * `npm run dev`: the whole API on this machine with nothing installed. Starts an embedded
 * PostgreSQL (PGlite, persisted under .data/), a WebSocket proxy so the Worker reaches it through
 * the same Neon driver as in production, applies migrations, seeds demo data on first start and
 * runs `wrangler dev` on http://localhost:8787/graphql. `--reset` starts from an empty database.
 * Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEVELOPMENT_CHANNEL_SECRETS, DEVELOPMENT_JWT_SECRET } from "./dev-secrets";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { migrateDatabase } from "./migrate";
import { closeNodeProxy, connectNode, nodeProxy } from "./node-database";
import { seedDemoData } from "./seed/demo";
import { seedReferenceData } from "./seed/reference";

const { values } = parseArgs({
  options: {
    reset: { type: "boolean", default: false },
    port: { type: "string", default: "8787" },
    "db-port": { type: "string", default: "5433" },
  },
});
const dataDir = fileURLToPath(new URL("../.data/pglite", import.meta.url));
if (values.reset) await rm(dataDir, { recursive: true, force: true });
await mkdir(dataDir, { recursive: true });

const started = Date.now();
const postgres = await startEmbeddedPostgres({ dataDir, port: Number(values["db-port"]) });
const proxy = await nodeProxy();
console.log(`Embedded PostgreSQL on ${postgres.url} (data in .data/pglite), WebSocket proxy on :${proxy.port}`);

const connection = await connectNode(postgres.url);
const { db, close } = connection;
await migrateDatabase(connection);
const reference = await seedReferenceData(db);
const demo = await seedDemoData(db);
await close();
console.log(
  demo.participants > 0
    ? `Seeded ${reference.regions} regions, ${demo.participants} participants, ${demo.payments} payments.`
    : "Database ready (already seeded; `npm run dev -- --reset` starts over).",
);
console.log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)}s; starting wrangler dev…`);
console.log("Authenticate with: Authorization: Bearer $(npm run -s token -- --role ADMIN)");

const wrangler = spawn(
  "wrangler",
  [
    "dev",
    "--port",
    values.port,
    "--var",
    `DATABASE_URL:${postgres.url}`,
    "--var",
    `DATABASE_WS_PROXY:127.0.0.1:${proxy.port}/v1`,
    "--var",
    `JWT_SECRET:${DEVELOPMENT_JWT_SECRET}`,
    "--var",
    `PAYMENT_CHANNEL_SECRETS:${DEVELOPMENT_CHANNEL_SECRETS}`,
  ],
  { stdio: "inherit", env: process.env },
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) wrangler.kill("SIGINT");
  await closeNodeProxy();
  await postgres.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
