/**
 * `npm run dev`: the whole API on this machine with nothing installed. Starts an embedded
 * PostgreSQL (PGlite, persisted under .data/), which the Worker reaches through its `HYPERDRIVE`
 * binding with node-postgres over TCP, as deployed (locally the binding connects straight to it),
 * applies migrations, seeds demo data on first start, runs
 * `wrangler dev` on http://localhost:8787/graphql, and fires the Worker's cron triggers on their
 * schedule, as Cloudflare does in production (wrangler dev fires none). See `npm run dev -- --help`.
 *
 * Development values reach wrangler through a generated env file (mode 0600), never the command
 * line (`ps` shows every argument); a `.dev.vars` file is read after it, so its values win, and the
 * start says which it overrides (scripts/dev-vars.ts).
 * SIGINT, SIGTERM or the death of the parent process stops every child: wrangler runs in its own
 * process group, which is signalled as a whole (workerd included), then killed if it lingers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cronMatches, cronsOf, scheduledUrl } from "./crons";
import { DEVELOPMENT_CARD_SIGNING_KEYS, DEVELOPMENT_CHANNEL_SECRETS, DEVELOPMENT_JWT_SECRET } from "./dev-secrets";
import { devVarsFile, overridesReport, readDevVars, withoutPassword } from "./dev-vars";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { startGraphiqlAssets } from "./graphiql-assets";
import { HYPERDRIVE_LOCAL_VARIABLE, hyperdriveOrigin } from "./hyperdrive-local";
import { migrateDatabase } from "./migrate";
import { connectNode } from "./node-database";
import { seedDemoData } from "./seed/demo";
import { seedReferenceData } from "./seed/reference";

const usage = `npm run dev [-- options]

  --port N          the API (wrangler dev) port                      default 8787
  --db-port N       the embedded PostgreSQL's port                   default 5433
  --data-dir DIR    where the embedded PostgreSQL keeps its data     default .data/pglite
  --reset           start from an empty database (deletes the data directory)
  --no-crons        do not fire the cron triggers (by hand: the curl lines printed at start)
  --help            this text

Development values (database URL, JWT and webhook secrets, ENVIRONMENT=development) are written to
.wrangler/dev/<port>.env; a .dev.vars file (see .dev.vars.example) overrides any of them, and the
start says which. KEPESERTAAN_DEV_VARS names another file instead (empty: none).`;

const { values } = parseArgs({
  options: {
    reset: { type: "boolean", default: false },
    port: { type: "string", default: "8787" },
    "db-port": { type: "string", default: "5433" },
    "data-dir": { type: "string", default: ".data/pglite" },
    "no-crons": { type: "boolean", default: false },
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
const dataDir = resolve(root, values["data-dir"]);
const envDir = fileURLToPath(new URL("../.wrangler/dev", import.meta.url));
const origin = `http://localhost:${values.port}`;

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
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  PAYMENT_CHANNEL_SECRETS: DEVELOPMENT_CHANNEL_SECRETS,
  CARD_SIGNING_KEYS: DEVELOPMENT_CARD_SIGNING_KEYS,
  GRAPHIQL_ASSETS_URL: graphiql.url,
};
await mkdir(envDir, { recursive: true });
// One file per port, so a second `npm run dev` (docs:check's) never rewrites another's.
const envFile = `${envDir}/${values.port}.env`;
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
const devVars = devVarsFile();
const overrides = readDevVars(devVars);
for (const line of overridesReport(developmentValues, overrides)) console.log(line);
const databaseUrl = overrides.DATABASE_URL ?? postgres.url;
console.log(
  `The Worker's database: ${withoutPassword(databaseUrl)} (${
    overrides.DATABASE_URL ? "from .dev.vars" : `embedded PGlite, data in ${values["data-dir"]}`
  }), through its HYPERDRIVE binding (node-postgres over TCP, as deployed)`,
);
console.log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)}s; starting wrangler dev on :${values.port}…`);

wrangler = spawn(
  "wrangler",
  [
    "dev",
    "--port",
    values.port,
    "--env-file",
    envFile,
    ...(devVars ? ["--env-file", devVars] : []),
    "--show-interactive-dev-session=false",
  ],
  {
    stdio: ["ignore", "inherit", "inherit"],
    // Offline by default: no fetch of Cloudflare's Request.cf metadata (a placeholder serves locally).
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
      // The HYPERDRIVE binding wins over DATABASE_URL, so a .dev.vars DATABASE_URL is handed to it.
      [HYPERDRIVE_LOCAL_VARIABLE]: hyperdriveOrigin(databaseUrl),
    },
    cwd: root,
    detached: true,
  },
);
wrangler.on("exit", (code) => void stop(code ?? 0));

/** Waits until the Worker answers at all (any status), for at most two minutes. */
async function workerAnswers(): Promise<boolean> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    try {
      await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) });
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return false;
}

/**
 * The Worker's own verdict on its settings (/health names each misconfigured binding): a bad value
 * in .dev.vars stops the start with the problem named, instead of a 503 on every request.
 */
async function configurationProblems(): Promise<string[]> {
  const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json().catch(() => ({}))) as { status?: unknown; configuration?: unknown };
  if (body.status !== "misconfigured") return [];
  return Array.isArray(body.configuration) ? body.configuration.map(String) : ["(no detail given)"];
}

const crons = cronsOf(readFileSync(`${root}wrangler.toml`, "utf8"));
if (await workerAnswers()) {
  const problems = await configurationProblems();
  if (problems.length > 0) {
    console.error("The Worker's configuration is invalid (check .dev.vars):");
    for (const problem of problems) console.error(`  ${problem}`);
    await stop(1);
  }
  console.log(`API: ${origin}/graphql (GraphiQL in a browser: put the header below under "Headers")`);
  console.log('  {"Authorization": "Bearer <npm run -s token -- --role ADMIN>"}');
  console.log(
    values["no-crons"]
      ? `Cron triggers (${crons.join(", ")}) are not fired (--no-crons). By hand:`
      : `Cron triggers fire on their schedule (UTC), as in production: ${crons.join(", ")} (npm run dev fires them; wrangler's warning above is about wrangler alone). By hand:`,
  );
  for (const cron of crons) console.log(`  curl "${scheduledUrl(origin, cron)}"`);
  if (!values["no-crons"]) fireCrons();
}

/**
 * Fires each cron of wrangler.toml in every minute it matches, through Miniflare's scheduled
 * trigger, with that minute as its scheduled time. Says so only when a run fails.
 */
function fireCrons(): void {
  const tick = () => {
    const now = new Date();
    for (const cron of crons.filter((expression) => cronMatches(expression, now))) {
      fetch(scheduledUrl(origin, cron, now), { signal: AbortSignal.timeout(55_000) })
        .then(async (response) => {
          if (!response.ok) console.error(`Cron "${cron}" failed: ${response.status} ${await response.text()}`);
        })
        .catch((error: unknown) => console.error(`Cron "${cron}" could not be fired: ${String(error)}`));
    }
    setTimeout(tick, 60_000 - (Date.now() % 60_000) + 100);
  };
  setTimeout(tick, 60_000 - (Date.now() % 60_000) + 100);
}
