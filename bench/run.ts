/**
 * `npm run bench [-- --scale N | --quick] [--seconds S] [--rounds R] [--connections C] [--only a,b] [--seed-only]
 *   [--contenders api,worker,…] [--worker-runtime workerd|wrangler]`
 * Seeds a real PostgreSQL reproducibly (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench),
 * starts each contender in its own process, loads them with autocannon from another process, and
 * writes bench/RESULTS.md. Not part of `npm test`; test/bench-harness.test.ts keeps it working.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { closeNodeProxy, connectNode } from "../scripts/node-database";
import { signDevelopmentToken } from "../src/modules/credentials/tokens";
import { currentMonth, monthStart } from "../src/shared/calendar";
import {
  atAGlance,
  type ColdStart,
  type Counters,
  perRequest,
  type Row,
  type StartupProfile,
  scenarioTable,
  workerSection,
} from "./report";
import type { LoadSpec } from "./scenarios";
import { seedBench } from "./seed";
import { BENCH_JWT_SECRET } from "./settings";

const { values } = parseArgs({
  options: {
    scale: { type: "string" },
    quick: { type: "boolean", default: false },
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "10" },
    only: { type: "string" },
    contenders: { type: "string" },
    "worker-runtime": { type: "string", default: "workerd" },
    "seed-only": { type: "boolean", default: false },
    "database-url": { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("./RESULTS.md", import.meta.url)) },
  },
});
const scale = Number(values.scale ?? (values.quick ? 100_000 : 1_000_000));
const url = values["database-url"] ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/bench";
const only = values.only ? new Set(values.only.split(",")) : null;
const onlyContenders = values.contenders ? new Set(values.contenders.split(",")) : null;
const now = new Date();
const loadAtStart = loadavg()
  .map((value) => value.toFixed(2))
  .join(" ");
/** The commit measured, marked when the working tree differs from it. */
const commit = (() => {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return "unknown (not a git checkout)";
  }
})();
const root = fileURLToPath(new URL("..", import.meta.url));
const log = (line: string) => console.log(line);

/** Creates the benchmark database on first use (through the server's maintenance database). */
async function ensureDatabase() {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const { db, close } = await connectNode(admin.toString());
  const exists = await db.execute(sql`select 1 from pg_database where datname = ${name}`);
  if (exists.rows.length === 0) await db.execute(sql.raw(`create database "${name.replaceAll('"', "")}"`));
  await close();
}

function startContender(kind: string, port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "tsx",
      ["bench/server.ts", kind, String(port), url, String(statementsPort(port)), values["worker-runtime"]],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/**
 * Runs the load generator; `afterWarmup` runs between its warm-up and its measured rounds (the
 * contender's counters are read there, so neither warm-up nor JIT compilation is counted).
 */
function runLoad(
  spec: LoadSpec,
  afterWarmup: () => Promise<void>,
): Promise<{
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  requests: number;
  sent: number;
  sentMeasured: number;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn("tsx", ["bench/load.ts", JSON.stringify({ ...spec, pauseAfterWarmup: true })], {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let output = "";
    let warmed = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (!warmed && output.includes("warmed\n")) {
        warmed = true;
        afterWarmup().then(
          () => child.stdin?.end("go\n"),
          (error: unknown) => reject(error),
        );
      }
    });
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(output.trim().split("\n").pop() ?? "{}"))
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

/** Where a contender reports its statement count: beside its port, which its own server answers. */
function statementsPort(port: number): number {
  return port + 100;
}

/**
 * The counters once the contender is idle: requests the load generator abandoned at the end of a
 * round (or of the warm-up) are still being served, and their statements and CPU belong to that
 * window. Idle means two readings 300 ms apart without a new statement or request and under 5 ms
 * of CPU between them (at most 15 s).
 */
async function settledCountersOf(port: number): Promise<Counters | null> {
  let last = await countersOf(port);
  for (let waited = 0; last && waited < 15_000; waited += 300) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await countersOf(port);
    if (!now) return last;
    const idle = now.statements === last.statements && now.requests === last.requests && now.cpuMs - last.cpuMs < 5;
    last = now;
    if (idle) break;
  }
  return last;
}

async function countersOf(port: number): Promise<Counters | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${statementsPort(port)}/__statements`)).json()) as Counters;
  } catch {
    return null;
  }
}

/** The deploy bundle, `dist/index.js` (`npm run build`): what the Worker contenders run and cold start measures. */
async function buildWorker(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const build = spawn("wrangler", ["deploy", "--dry-run", "--outdir", "dist"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const code = await new Promise<number | null>((resolve) => build.on("exit", resolve));
    if (code === 0) return;
    // esbuild has been seen to die ("all goroutines are asleep") on a saturated machine: once more.
    if (attempt === 2) throw new Error(`wrangler deploy --dry-run exited with ${code}`);
  }
}

await ensureDatabase();
const connection = await connectNode(url);
const { db, close } = connection;
log(`Seeding ${scale.toLocaleString("en")} participants into ${new URL(url).pathname.slice(1)} (fixed seed)…`);
await seedBench(connection, { participants: scale, seed: 20_240_131, now, log });
if (values["seed-only"]) {
  await close();
  await closeNodeProxy();
  process.exit(0);
}
const provinces = (
  (await db.execute(sql`select code from regions where level = 'PROVINCE' order by code`)).rows as { code: string }[]
).map((r) => r.code);
const counts = (
  await db.execute(
    sql`select (select count(*) from participants)::int as participants, (select count(*) from payments)::int as payments`,
  )
).rows[0] as { participants: number; payments: number };

const ports = { api: 9101, worker: 9104, "worker-pooled": 9105, sql: 9102, postgraphile: 9103 } as const;
type Contender = keyof typeof ports;
const wanted = (contender: Contender) => !onlyContenders || onlyContenders.has(contender);
const servers: ChildProcess[] = [];
await buildWorker();
const results: string[] = [];
/** Each load scenario's rows, for the table RESULTS.md opens with. */
const glance: { name: string; rows: Row[] }[] = [];
try {
  for (const kind of Object.keys(ports) as Contender[])
    if (wanted(kind) || kind === "api") servers.push(await startContender(kind, ports[kind]));
  const token = await signDevelopmentToken({ subject: "bench", role: "ADMIN" }, BENCH_JWT_SECRET);
  const base = {
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    warmupSeconds: 3,
    token,
    participants: counts.participants,
    provinces,
    activeFrom: monthStart(currentMonth(now)),
  };
  const scenarios: {
    name: string;
    scenario: LoadSpec["scenario"];
    contenders: Contender[];
    /** Clients at once, when not the run's `--connections`: 1 measures answer time without queueing. */
    connections?: number;
  }[] = [
    {
      name: "Page of 100 participants + ecosystem, region, sponsor, last 3 payments",
      scenario: "page",
      contenders: ["api", "worker", "worker-pooled", "sql", "postgraphile"],
    },
    {
      name: "One participant by id (same selection)",
      scenario: "byId",
      contenders: ["api", "worker", "worker-pooled", "sql", "postgraphile"],
    },
    {
      name: "Region prefix + ACTIVE status, page of 100",
      scenario: "regionStatus",
      contenders: ["api", "worker", "worker-pooled", "sql"],
    },
    { name: "coverageDashboard, national", scenario: "dashboard", contenders: ["api", "worker", "worker-pooled"] },
    {
      name: "coverageDashboard, national, one client at a time (answer time without queueing)",
      scenario: "dashboard",
      contenders: ["api", "worker", "worker-pooled"],
      connections: 1,
    },
    {
      name: "coverageDashboard, per province",
      scenario: "dashboardProvince",
      contenders: ["api", "worker", "worker-pooled"],
    },
    {
      name: "Outreach work list: due within 7 days in a province, page of 100",
      scenario: "workList",
      contenders: ["api", "worker", "worker-pooled"],
    },
    { name: "payContribution, unique keys", scenario: "pay", contenders: ["api", "worker", "worker-pooled"] },
  ];
  for (const scenario of scenarios) {
    if (only && !only.has(scenario.scenario)) continue;
    log(`\n${scenario.name}`);
    const rows: Row[] = [];
    for (const contender of scenario.contenders) {
      if (!wanted(contender)) continue;
      let before: Counters | null = null;
      const measured = await runLoad(
        {
          ...base,
          url: `http://127.0.0.1:${ports[contender]}`,
          connections: scenario.connections ?? base.connections,
          scenario: scenario.scenario,
          contender,
        },
        async () => {
          before = await settledCountersOf(ports[contender]);
        },
      );
      const after = await settledCountersOf(ports[contender]);
      const counted = perRequest(before, after, measured.sentMeasured);
      rows.push({ contender, ...measured, ...counted });
      log(
        `  ${contender.padEnd(13)} ${measured.rps.toFixed(0).padStart(6)} req/s  p50 ${measured.p50} ms  p95 ${measured.p95} ms  p99 ${measured.p99} ms  errors ${measured.errors}  SQL/req ${counted.statements}  CPU ms/req ${counted.cpu}`,
      );
    }
    results.push(scenarioTable(scenario.name, rows));
    glance.push({ name: scenario.name, rows });
  }

  if (!only || only.has("retries")) {
    // 50 concurrent retries of one idempotency key: exactly one payment must exist afterwards.
    const key = `bench-retry-${Date.now()}`;
    const body = JSON.stringify({
      query: `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id } userErrors { code } } }`,
      variables: { input: { participantId: btoa("Participant:1"), months: 1, channel: "BRIVA", idempotencyKey: key } },
    });
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`http://127.0.0.1:${ports.api}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body,
        }).then((r) => r.json()),
      ),
    );
    const made = (
      (await db.execute(sql`select count(*)::int as n from payments where idempotency_key = ${key}`)).rows[0] as {
        n: number;
      }
    ).n;
    const ids = new Set(
      replies.map((r) =>
        JSON.stringify(
          (r as { data?: { payContribution?: { payment?: { id: string } } } }).data?.payContribution?.payment?.id,
        ),
      ),
    );
    results.push(
      `### 50 concurrent retries of one idempotency key\n\n${made} payment created, ${ids.size} distinct payment id answered, ${Date.now() - started} ms for all 50.\n`,
    );
    log(`\n50 retries of one key: ${made} payment, ${ids.size} distinct answer(s)`);
  }

  if (!only || only.has("enroll")) {
    // 10,000-row sponsored enrollment through GraphQL, end to end.
    const sponsor = (
      (
        await db.execute(
          sql`insert into sponsors (name, kind, program, created_at) values ('Bench Sponsor', 'COMPANY', 'SERTAKAN', ${new Date().toISOString()}) returning id`,
        )
      ).rows[0] as { id: number }
    ).id;
    const sponsorship = (
      (
        await db.execute(sql`insert into sponsorships (sponsor_id, programs, months_per_period, max_participants, budget, starts_on, ends_on, created_at)
      values (${sponsor}, '{JKK,JKM}', 1, 20000, 1000000000, '2024-01-01', '2030-12-31', ${new Date().toISOString()}) returning id`)
      ).rows[0] as { id: number }
    ).id;
    const stamp = Date.now() % 9000;
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      // Gambir (31.71.01), a birth date that changes with each run, a serial per row: all valid, all new.
      nik: `317101${String(1 + ((i / 9000) | 0) + (stamp % 20)).padStart(2, "0")}${String(1 + (stamp % 12)).padStart(2, "0")}99${String((i % 9000) + 1).padStart(4, "0")}`,
      fullName: "Pekerja Bench",
      segment: "BPU",
      occupation: "Buruh harian",
      ecosystem: "VULNERABLE_WORKERS",
      villageCode: "31.71.01.1001",
      reportedMonthlyIncome: "1000000",
      programs: ["JKK", "JKM"],
    }));
    const started = Date.now();
    const response = await fetch(`http://127.0.0.1:${ports.api}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation ($input: EnrollSponsoredParticipantsInput!) { enrollSponsoredParticipants(input: $input) { created attached rejected } }`,
        variables: {
          input: {
            sponsorshipId: btoa(`Sponsorship:${sponsorship}`),
            participants: rows,
            idempotencyKey: `bench-enroll-${Date.now()}`,
          },
        },
      }),
    });
    const outcome = JSON.stringify(((await response.json()) as { data?: unknown }).data);
    const ms = Date.now() - started;
    results.push(
      `### enrollSponsoredParticipants, 10,000 rows\n\n${ms} ms end to end (target < 5,000 ms): ${outcome}\n`,
    );
    log(`\n10,000-row enrollment: ${ms} ms ${outcome}`);
  }
} finally {
  for (const server of servers) server.kill("SIGTERM");
  await close();
  await closeNodeProxy();
}

// Worker bundle (built before the contenders) and schema build time: what every isolate pays at cold start.
const bundle = await readFile(`${root}/dist/index.js`);
const gzipKiB = gzipSync(bundle).length / 1024;
const schemaBuild = await new Promise<string>((resolve) => {
  const child = spawn("tsx", ["bench/schema-build.ts"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.on("exit", () => resolve(out.trim()));
});
// Cold start inside workerd (bench/cold-start.ts): fresh workerd processes, the database excluded.
const coldStart = await new Promise<ColdStart>((resolve, reject) => {
  const child = spawn("tsx", ["bench/cold-start.ts", "--runs", "7"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.on("exit", (code) =>
    code === 0
      ? resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}"))
      : reject(new Error(`cold start exited ${code}`)),
  );
});
// The global scope's CPU under `wrangler check startup`, by package and folder (bench/startup.ts).
const startup = JSON.parse(
  execFileSync("tsx", ["bench/startup.ts"], { cwd: root, encoding: "utf8" }).trim().split("\n").pop() ?? "{}",
) as StartupProfile;
results.push(workerSection({ gzipKiB, schemaBuildMs: schemaBuild, coldStart, startup }));
log(
  `\nBundle ${gzipKiB.toFixed(0)} KiB gzipped; schema build ${schemaBuild} ms in Node; cold start in workerd ${coldStart.coldStartMs} ms (${coldStart.coldStartCpuMs} ms CPU)`,
);

const loadAtEnd = loadavg()
  .map((value) => value.toFixed(2))
  .join(" ");
const header = `# Benchmark results

Run: ${now.toISOString()} · commit ${commit} · load average ${loadAtStart} at the start, ${loadAtEnd} at the end (1, 5, 15 min) · ${values.only ? `only ${values.only}` : "every scenario"} · ${counts.participants.toLocaleString("en")} participants, ${counts.payments.toLocaleString("en")} payments · PostgreSQL at ${new URL(url).host} · autocannon -c ${values.connections}, ${values.rounds} rounds × ${values.seconds} s after a 3 s warm-up, from a separate process · each contender in its own process on this machine (${(await import("node:os")).cpus().length} cores). Ratios matter, not absolutes.

Contenders: **api** = this API (the same Hono app as the Worker, on Node with one shared node-postgres pool of 10, production settings, ADMIN token); **worker** = the Worker itself under workerd (the deploy bundle from \`npm run build\` served by workerd through Miniflare, production settings; \`--worker-runtime wrangler\` runs \`wrangler dev --config bench/wrangler.bench.toml\` instead), reaching PostgreSQL as deployed: the Neon driver over a WebSocket (through the local proxy), a new connection per request; **worker-pooled** = the same Worker with a Hyperdrive binding (\`bench/wrangler.bench-pooled.toml\`: node-postgres over TCP, as deployed behind Hyperdrive), whose local connection string points at a session pool of 10 warm PostgreSQL connections standing in for Hyperdrive's pool (\`bench/session-pool.ts\`); **sql** = Hono + node-postgres, one hand-tuned statement per request building each participant's JSON in SQL; **postgraphile** = PostGraphile 5.1.5 (Amber preset) on the same database.

**CPU ms / request**: CPU time (user + system, from the kernel) of the contender's process over the warm-up and measured rounds, divided by the requests served: for the api, sql and postgraphile contenders their Node process, for the Worker contenders the workerd process that runs the Worker (not wrangler's dev proxy in front of it, and not the WebSocket proxy or session pool, which stand in for the network). It includes workerd's HTTP and socket work and garbage collection, so it is an upper bound on the CPU time Cloudflare bills, which counts the isolate's execution only.

`;
// What follows the marker in an earlier file is written by hand (the analysis): kept across runs.
const ANALYSIS_MARKER = "<!-- analysis: written by hand, kept by npm run bench -->";
const earlier = await readFile(values.out, "utf8").catch(() => "");
const analysis = earlier.includes(ANALYSIS_MARKER) ? earlier.slice(earlier.indexOf(ANALYSIS_MARKER)) : "";
const opening = `## At a glance\n\n${atAGlance(glance)}\n## Every scenario\n\n`;
await writeFile(values.out, `${header}${opening}${results.join("\n")}${analysis ? `\n${analysis}` : ""}`);
log(`\nWrote ${values.out}`);
