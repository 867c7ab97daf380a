/**
 * Where a request's CPU goes, in Node: `npm run bench:profile -- [--requests N] [--top N] [--database-url URL]`.
 * Runs the API in this process (the same Hono app, production settings, a pool of 10 like the
 * bench's `api` contender) against the bench database, sends each scenario's request N times with
 * four in flight through `app.fetch` (no sockets: transport is the bench's own column), records a V8
 * CPU profile per scenario with the inspector, and prints each stage's share of the CPU: the table
 * in bench/PROFILE.md. A sample is charged to the innermost frame that names a stage, so a JSON
 * builtin called by Yoga counts as JSON, and code of the app under a library counts as the app.
 */
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { signDevelopmentToken } from "../src/modules/credentials/tokens";
import { nodeApi } from "./node-api";
import { BENCH_JWT_SECRET } from "./settings";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    /** Also print the N functions with the most self time per scenario (to stderr). */
    top: { type: "string", default: "0" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/bench" },
  },
});
const requests = Number(values.requests);
const top = Number(values.top);
const url = values["database-url"];

/** Stages, tested innermost frame first: the first whose pattern matches a frame's URL or name. */
const stages: [stage: string, test: (frame: Frame) => boolean][] = [
  ["JSON parse/stringify", (f) => f.url === "" && /^(parse|stringify|JSON\.\w+)$/.test(f.functionName)],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  ["read planner (plan, bind, answer)", (f) => f.url.includes("/src/read-plan/")],
  ["operation log", (f) => f.url.includes("/src/graphql/log")],
  ["limits and cursor checks", (f) => f.url.includes("/src/graphql/limits")],
  ["trusted documents", (f) => f.url.includes("/src/graphql/trusted-documents")],
  ["refusal audit", (f) => f.url.includes("/src/graphql/refusal-audit") || f.url.includes("/modules/audit/")],
  ["authentication (JWT verify)", (f) => f.url.includes("/jose/") || f.url.includes("/modules/credentials/")],
  ["admission and rate limit", (f) => f.url.includes("/src/http/")],
  ["armor rules", (f) => f.url.includes("graphql-armor")],
  ["GraphQL parse", (f) => /graphql\/language\//.test(f.url)],
  ["GraphQL validate", (f) => /graphql\/(validation|utilities)\//.test(f.url)],
  ["GraphQL execute (resolvers)", (f) => /graphql\/(execution|type)\//.test(f.url) || f.url.includes("@pothos")],
  ["driver and ORM (pg, drizzle)", (f) => /node_modules\/(pg|pg-protocol|pg-types|pg-pool|drizzle-orm)\//.test(f.url)],
  ["Yoga and Envelop pipeline", (f) => /@graphql-yoga|graphql-yoga|@envelop|@whatwg-node|@graphql-tools/.test(f.url)],
  ["Hono and app middleware", (f) => f.url.includes("/hono/") || f.url.endsWith("/src/app.ts")],
  ["request scope, messages", (f) => f.url.includes("/src/shared/")],
  ["profiler and load generator", (f) => f.url.includes("/bench/profile.ts") || f.url === "node:inspector"],
];

interface Frame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Microseconds of CPU per stage. A sample goes to the innermost frame of its stack that names a
 * stage (Node's own frames, sockets and streams, are charged to the code that called them); GC,
 * idle and V8's own time have no stack.
 */
function byStage(profile: Profile): Map<string, number> {
  const parent = new Map<number, number>();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOf.get(id);
    if (known) return known;
    const frame = nodes.get(id)?.callFrame;
    let stage: string;
    if (!frame) stage = "other";
    else if (frame.functionName === "(idle)") stage = "idle";
    else if (frame.functionName === "(program)") stage = "V8 and Node (no JavaScript stack)";
    else {
      const found = stages.find(([, test]) => test(frame));
      const above = parent.get(id);
      if (found) stage = found[0];
      else if (above !== undefined) stage = classify(above);
      else stage = frame.url.startsWith("node:") || frame.url === "" ? "Node (sockets, streams, timers)" : "other";
    }
    stageOf.set(id, stage);
    return stage;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const stage = classify(id);
    totals.set(stage, (totals.get(stage) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return totals;
}

/** The functions with the most self time, as `ms function file`. */
function hottest(profile: Profile, count: number): string {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame;
    const key = `${frame?.functionName || "(anonymous)"} ${frame?.url.replace(/.*node_modules\//, "") ?? ""}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, micros]) => `${(micros / 1000).toFixed(1)} ms ${key}`)
    .join("\n");
}

const api = await nodeApi(url);
const token = await signDevelopmentToken({ subject: "bench", role: "ADMIN" }, BENCH_JWT_SECRET);
const NODE_FIELDS = `id nik fullName paidThrough ecosystem { code name } region { code name } sponsor { id name }
  payments(first: 3) { nodes { id amount status coverageFrom } }`;
const scenarios = {
  "one participant by id": (i: number) => ({
    query: `query ($id: ID!) { participant(id: $id) { ${NODE_FIELDS} } }`,
    variables: { id: btoa(`Participant:${1 + ((i * 7919) % 1_000_000)}`) },
  }),
  "payContribution, unique keys": (i: number) => ({
    query: `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id amount } userErrors { code } } }`,
    variables: {
      input: {
        participantId: btoa(`Participant:${1 + ((i * 7919) % 1_000_000)}`),
        months: 1,
        channel: "BRIVA",
        idempotencyKey: `profile-${Date.now()}-${i}`,
      },
    },
  }),
  "page of 100 + relations": (i: number) => ({
    query: `query ($e: EcosystemCode) { participants(first: 100, filter: { ecosystem: $e }, orderBy: REGISTERED_AT_DESC) { nodes { ${NODE_FIELDS} } } }`,
    variables: { e: ["VILLAGE", "MARKET", "ECOMMERCE", "UMKM", "VULNERABLE_WORKERS"][i % 5] },
  }),
};

async function send(body: object): Promise<void> {
  const response = await api.fetch(
    new Request("http://bench/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    }),
  );
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) throw new Error(`unexpected answer: ${text.slice(0, 300)}`);
}

async function load(make: (i: number) => object, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lanes = Array.from({ length: 4 }, async () => {
    while (next < count) await send(make(next++));
  });
  await Promise.all(lanes);
  return performance.now() - started;
}

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
const rows: string[] = [];
const load1 = (await import("node:os")).loadavg()[0]?.toFixed(2);
for (const [name, make] of Object.entries(scenarios)) {
  await load(make, 200); // warm-up: schema, caches, JIT
  const cpuBefore = process.cpuUsage();
  await session.post("Profiler.start");
  const wallMs = await load(make, requests);
  const { profile } = (await session.post("Profiler.stop")) as { profile: Profile };
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPerRequest = (cpu.user + cpu.system) / 1000 / requests;
  const totals = byStage(profile);
  if (top > 0) console.error(`${name}, hottest functions (self time):\n${hottest(profile, top)}`);
  totals.delete("idle");
  const busy = [...totals.values()].reduce((sum, value) => sum + value, 0);
  rows.push(
    `\n### ${name}: ${cpuPerRequest.toFixed(2)} ms CPU per request (${requests} requests, ${(requests / (wallMs / 1000)).toFixed(0)}/s, 4 in flight)\n`,
  );
  rows.push("| stage | share of CPU | ms per request |\n| --- | --- | --- |");
  for (const [stage, micros] of [...totals].sort((a, b) => b[1] - a[1])) {
    const share = micros / busy;
    rows.push(`| ${stage} | ${(share * 100).toFixed(1)} % | ${(share * cpuPerRequest).toFixed(3)} |`);
  }
}
console.log(
  `Profile of the API in Node (${new Date().toISOString()}, load average ${load1} at the start, ${process.version}), production settings, ADMIN token, bench database:`,
);
console.log(rows.join("\n"));
await api.close();
process.exit(0);
