/**
 * Cold start inside workerd: `tsx bench/cold-start.ts [--bundle dist/index.js] [--runs 7] [--breakdown]`.
 *
 * Each run starts a new workerd (through Miniflare) with the built Worker and times, from the start
 * until the first answer: a GraphQL request that needs no database (`{ __typename }` with a
 * valid token), and in a second fresh workerd a route that ends in a 404 before GraphQL. The same
 * is timed for a Worker that only answers "ok", workerd's own start-up, which is subtracted:
 *
 *   cold start  = first GraphQL answer − workerd start-up (module load, schema build, first request)
 *   module load = first 404 − workerd start-up (parse, compile and evaluate the bundle, schema build:
 *                 `src/graphql/server.ts` builds the schema at import)
 *
 * The database is excluded by construction: nothing in either request reaches it. With
 * `--breakdown`, the same for Workers that only import one dependency each (zod, graphql, …), so the
 * module load can be attributed. Prints one JSON object; medians over the runs, in ms.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Miniflare, NoOpLog } from "miniflare";
import { signDevelopmentToken } from "../src/modules/credentials/tokens";
import { processCpuMs, workerdProcessesOf } from "./processes";
import { median } from "./report";
import { BENCH_CHANNEL_SECRETS, BENCH_JWT_SECRET, BENCH_WEBHOOK_SECRET_KEY } from "./settings";

const { values } = parseArgs({
  options: {
    bundle: { type: "string", default: fileURLToPath(new URL("../dist/index.js", import.meta.url)) },
    runs: { type: "string", default: "7" },
    breakdown: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const token = await signDevelopmentToken({ subject: "bench", role: "ADMIN" }, BENCH_JWT_SECRET);

const bindings = {
  ENVIRONMENT: "production",
  // Never connected to: neither request reaches the database (the Neon driver connects lazily).
  DATABASE_URL: "postgres://bench:bench@127.0.0.1:9/none",
  JWT_SECRET: BENCH_JWT_SECRET,
  // Production settings require both (src/env.ts); neither is used by the probes.
  PAYMENT_CHANNEL_SECRETS: JSON.stringify(BENCH_CHANNEL_SECRETS),
  WEBHOOK_SECRET_KEY: BENCH_WEBHOOK_SECRET_KEY,
};

type Probe = "graphql" | "notFound" | "ok";

interface Sample {
  /** From the start until the first answer, ms. */
  wallMs: number;
  /** CPU the workerd process used in that time (user + system, 10 ms resolution): less sensitive to a loaded machine. */
  cpuMs: number;
}

/** One fresh workerd running `scriptPath`, until the first answer of `probe`. */
async function firstAnswer(scriptPath: string, probe: Probe): Promise<Sample> {
  const started = performance.now();
  // Miniflare 5 takes wrangler-shaped configs; the converter accepts the familiar flat options.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "cold-start",
      // Module names are paths relative to this root; the scratch Workers live outside the project.
      modulesRoot: dirname(scriptPath),
      modules: [{ type: "ESModule", path: scriptPath }],
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings,
      log: new NoOpLog(),
      // The Worker's operation logs would interleave with this script's one line of output.
      handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
        stdout.resume();
        stderr.resume();
      },
    }),
  );
  try {
    const response =
      probe === "graphql"
        ? await mf.dispatchFetch("http://localhost/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: "{ __typename }" }),
          })
        : await mf.dispatchFetch("http://localhost/cold-start-probe");
    const text = await response.text();
    const wallMs = performance.now() - started;
    // The only workerd below this process is this Miniflare's (each is disposed before the next).
    const cpuMs = workerdProcessesOf(process.pid).reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const expected =
      probe === "graphql" ? text.includes('"__typename":"Query"') : probe === "ok" ? text === "ok" : true;
    if (!expected) throw new Error(`unexpected first answer for ${probe}: ${response.status} ${text.slice(0, 300)}`);
    return { wallMs, cpuMs };
  } finally {
    await mf.dispose();
  }
}

/**
 * Medians over `runs` rounds of what `scriptPath` adds to workerd's own start-up: each round starts
 * the trivial Worker and then `scriptPath` once per probe, so both see the same machine load.
 */
async function coldStart(scriptPath: string, probes: readonly Probe[]) {
  const rounds: { baseline: Sample; probes: Sample[] }[] = [];
  for (let i = 0; i < runs; i++) {
    const baseline = await firstAnswer(trivial, "ok");
    const samples: Sample[] = [];
    for (const probe of probes) samples.push(await firstAnswer(scriptPath, probe));
    rounds.push({ baseline, probes: samples });
  }
  const of = (pick: (round: (typeof rounds)[number]) => number) => Math.round(median(rounds.map(pick)));
  return {
    baseline: { wallMs: of((r) => r.baseline.wallMs), cpuMs: of((r) => r.baseline.cpuMs) },
    probes: probes.map((_, at) => ({
      wallMs: of((r) => (r.probes[at] as Sample).wallMs - r.baseline.wallMs),
      cpuMs: of((r) => (r.probes[at] as Sample).cpuMs - r.baseline.cpuMs),
    })),
  };
}

const scratch = mkdtempSync(join(tmpdir(), "kepesertaan-cold-"));
const trivial = join(scratch, "trivial.js");
writeFileSync(trivial, `export default { fetch() { return new Response("ok"); } };\n`);

// Warm the machine's caches (workerd binary, Miniflare) once; not counted.
await firstAnswer(trivial, "ok");
const measured = await coldStart(values.bundle, ["notFound", "graphql"]);
const [moduleLoad, toGraphql] = measured.probes as [Sample, Sample];
const result: Record<string, unknown> = {
  runs,
  bundleBytes: readFileSync(values.bundle).length,
  workerdStartupMs: measured.baseline.wallMs,
  coldStartMs: toGraphql.wallMs,
  coldStartCpuMs: toGraphql.cpuMs,
  moduleLoadMs: moduleLoad.wallMs,
  moduleLoadCpuMs: moduleLoad.cpuMs,
};

if (values.breakdown) {
  // Each dependency alone, bundled by wrangler exactly as the Worker is (its conditions and
  // Node.js polyfills), in a scratch folder under dist/ so that node_modules resolves.
  const parts: Record<string, string> = {
    zod: `import * as z from "zod"; export const used = z.object({ a: z.string() });`,
    graphql: `import { GraphQLSchema, parse, validate, execute } from "graphql"; export const used = [GraphQLSchema, parse, validate, execute];`,
    "graphql-yoga": `import { createYoga } from "graphql-yoga"; export const used = createYoga;`,
    "graphql-armor": `import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor"; export const used = EnvelopArmorPlugin;`,
    "drizzle-orm + pg + neon": `import { drizzle } from "drizzle-orm/node-postgres"; import { drizzle as neon } from "drizzle-orm/neon-serverless"; import { Pool } from "@neondatabase/serverless"; import pg from "pg"; export const used = [drizzle, neon, Pool, pg];`,
    "@pothos/* (core and plugins)": `import SchemaBuilder from "@pothos/core"; import D from "@pothos/plugin-drizzle"; import R from "@pothos/plugin-relay"; import S from "@pothos/plugin-scope-auth"; import Z from "@pothos/plugin-zod"; export const used = [SchemaBuilder, D, R, S, Z];`,
    "src/schema.ts (all of the above + our types, schema built)": `import { schema } from "../../src/schema"; export const used = schema;`,
  };
  const root = fileURLToPath(new URL("..", import.meta.url));
  const folder = join(root, "dist", "cold-start");
  mkdirSync(folder, { recursive: true });
  const breakdown: Record<string, { bytes: number; moduleLoadMs: number; moduleLoadCpuMs: number }> = {};
  for (const [name, source] of Object.entries(parts)) {
    const slug = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
    writeFileSync(
      join(folder, `${slug}.ts`),
      `${source}\nexport default { fetch() { return new Response(used ? "ok" : "no"); } };\n`,
    );
    writeFileSync(
      join(folder, `${slug}.toml`),
      `name = "cold-start-${slug.toLowerCase()}"\nmain = "${slug}.ts"\ncompatibility_date = "2026-11-01"\ncompatibility_flags = ["nodejs_compat"]\n`,
    );
    const out = join(folder, slug);
    const built = spawnSync(
      "wrangler",
      ["deploy", "--dry-run", "--outdir", out, "--config", join(folder, `${slug}.toml`)],
      { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    if (built.status !== 0) throw new Error(`wrangler could not build the ${name} probe`);
    const outfile = join(out, `${slug}.js`);
    const [alone] = (await coldStart(outfile, ["ok"])).probes as [Sample];
    breakdown[name] = { bytes: readFileSync(outfile).length, moduleLoadMs: alone.wallMs, moduleLoadCpuMs: alone.cpuMs };
  }
  result.breakdown = breakdown;
}

console.log(JSON.stringify(result));
