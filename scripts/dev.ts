/**
 * `npm run dev`: the whole API on this machine with nothing installed. Starts an embedded
 * PostgreSQL (PGlite, persisted under .data/), a WebSocket proxy so the Worker reaches it through
 * the same Neon driver as in production, applies migrations, seeds demo data on first start and
 * runs `wrangler dev` on http://localhost:8787/graphql. See `npm run dev -- --help`.
 *
 * Development values reach wrangler through a generated env file (mode 0600), never the command
 * line (`ps` shows every argument); a `.dev.vars` file is read after it, so its values win.
 * SIGINT, SIGTERM or the death of the parent process stops every child: wrangler runs in its own
 * process group, which is signalled as a whole (workerd included), then killed if it lingers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEVELOPMENT_CHANNEL_SECRETS, DEVELOPMENT_JWT_SECRET } from "./dev-secrets";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { startGraphiqlAssets } from "./graphiql-assets";
import { migrateDatabase } from "./migrate";
import { closeNodeProxy, connectNode, nodeProxy } from "./node-database";
import { seedDemoData } from "./seed/demo";
import { seedReferenceData } from "./seed/reference";

const usage = `npm run dev [-- options]

  --port N        the API (wrangler dev) port              default 8787
  --db-port N     the embedded PostgreSQL's port           default 5433
  --reset         start from an empty database (deletes .data/pglite)
  --help          this text

Development values (database URL, JWT and webhook secrets, ENVIRONMENT=development) are written to
.wrangler/dev/dev.env; a .dev.vars file (see .dev.vars.example) overrides any of them.`;

const { values } = parseArgs({
  options: {
    reset: { type: "boolean", default: false },
    port: { type: "string", default: "8787" },
    "db-port": { type: "string", default: "5433" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
for (const option of ["port", "db-port"] as const) {
  const port = Number(values[option]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`--${option} must be a port number (1-65535), got ${values[option]}\n\n${usage}`);
    process.exit(2);
  }
}

const root = fileURLToPath(new URL("..", import.meta.url));
const dataDir = fileURLToPath(new URL("../.data/pglite", import.meta.url));
const envDir = fileURLToPath(new URL("../.wrangler/dev", import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
let wrangler: ChildProcess | undefined;
let stopping = false;

/** Stops wrangler's whole process group (workerd too), then everything this process started. */
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (wrangler?.pid && wrangler.exitCode === null && wrangler.signalCode === null) {
      const group = -wrangler.pid;
      const exited = new Promise((resolve) => wrangler?.once("exit", resolve));
      try {
        process.kill(group, "SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("SIGHUP", () => void stop(0));
/**
 * `npm run dev` is npm → sh → tsx → this process. When any of them dies (npm killed with SIGTERM
 * does not pass it on, a closed terminal), this process is orphaned without a signal: watch the
 * whole chain of ancestors present at start (from /proc on Linux; elsewhere the direct parent).
 */
function ancestors(): number[] {
  const chain: number[] = [];
  let pid = process.ppid;
  while (pid > 1 && chain.length < 16) {
    chain.push(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  return chain;
}
const watched = ancestors();
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};
setInterval(() => {
  if (!watched.every(alive)) void stop(0);
}, 1_000).unref();

/** Prints a stage and, while it lasts, how long it has been running. */
async function stage<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const interactive = process.stdout.isTTY;
  process.stdout.write(`${label}…${interactive ? "" : "\n"}`);
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    if (interactive) process.stdout.write(`\r${label}… ${seconds}s`);
    else console.log(`  …${label.toLowerCase()} (${seconds}s)`);
  }, 5_000);
  try {
    const result = await work();
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (interactive) process.stdout.write(`\r${label}… done in ${took}s\n`);
    else console.log(`  done in ${took}s`);
    return result;
  } finally {
    clearInterval(ticker);
  }
}

if (values.reset) await rm(dataDir, { recursive: true, force: true });
await mkdir(dataDir, { recursive: true });

const started = Date.now();
const postgres = await stage(`Starting the embedded PostgreSQL on :${values["db-port"]}`, () =>
  startEmbeddedPostgres({ dataDir, port: Number(values["db-port"]) }),
);
cleanups.push(() => postgres.stop());
const proxy = await nodeProxy();
cleanups.push(() => closeNodeProxy());
const graphiql = await startGraphiqlAssets();
cleanups.push(() => graphiql.close());

const connection = await connectNode(postgres.url);
await stage("Applying migrations", () => migrateDatabase(connection));
const reference = await stage("Loading reference data (91,599 regions on first start)", () =>
  seedReferenceData(connection.db),
);
const demo = await stage("Seeding demo data (2,000 participants on first start)", () => seedDemoData(connection.db));
await connection.close();
console.log(
  demo.participants > 0
    ? `Seeded ${reference.regions} regions, ${demo.participants} participants, ${demo.payments} payments.`
    : "Database already seeded (`npm run dev -- --reset` starts over).",
);

const developmentValues: Record<string, string> = {
  ENVIRONMENT: "development",
  DATABASE_URL: postgres.url,
  DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1`,
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  PAYMENT_CHANNEL_SECRETS: DEVELOPMENT_CHANNEL_SECRETS,
  GRAPHIQL_ASSETS_URL: graphiql.url,
};
await mkdir(envDir, { recursive: true });
const envFile = `${envDir}/dev.env`;
await writeFile(
  envFile,
  `# Written by npm run dev on each start; .dev.vars overrides these.\n${Object.entries(developmentValues)
    .map(
      ([name, value]) =>
        `${name}=${value.includes("\n") || value.includes("'") ? JSON.stringify(value) : `'${value}'`}`,
    )
    .join("\n")}\n`,
  { mode: 0o600 },
);
const devVars = `${root}.dev.vars`;
const overrides = existsSync(devVars);

console.log(`Database: ${postgres.url} (data in .data/pglite)${overrides ? "; .dev.vars overrides applied" : ""}`);
console.log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)}s; starting wrangler dev on :${values.port}…`);
console.log(`GraphiQL: http://localhost:${values.port}/graphql (add the header below under "Headers")`);
console.log('Authenticate with: {"Authorization": "Bearer <npm run -s token -- --role ADMIN>"}');

wrangler = spawn(
  "wrangler",
  [
    "dev",
    "--port",
    values.port,
    "--env-file",
    envFile,
    ...(overrides ? ["--env-file", devVars] : []),
    "--show-interactive-dev-session=false",
  ],
  {
    stdio: ["ignore", "inherit", "inherit"],
    // Offline by default: no fetch of Cloudflare's Request.cf metadata (a placeholder serves locally).
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false" },
    cwd: root,
    detached: true,
  },
);
wrangler.on("exit", (code) => void stop(code ?? 0));
