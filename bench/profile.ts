/**
 * Where a request's CPU goes:
 * `npm run bench:profile -- [--runtime node|workerd] [--requests N] [--top N] [--database-url URL]`.
 *
 * - `node` (default): runs the API in this process (the same Hono app, production settings, a pool
 *   of 10 like the bench's `api` contender) and sends each request through `app.fetch` (no sockets:
 *   transport is the bench's own column).
 * - `workerd`: runs the deploy bundle (`npm run build` first) in workerd as the bench's
 *   `worker-pooled` contender does (HYPERDRIVE binding, bench/session-pool.ts standing in for
 *   Hyperdrive's pool), sends each request over HTTP, profiles the isolate through workerd's
 *   inspector, and maps each minified frame back to its source with the bundle's source map. CPU per
 *   request is the workerd process's, as in the bench's column.
 *
 * Each scenario's request is sent N times with four in flight against the bench database; a V8 CPU
 * profile per scenario gives each stage's share of the CPU: the tables in bench/PROFILE.md. A sample
 * is charged to the innermost frame that names a stage, so a JSON builtin called by Yoga counts as
 * JSON, and code of the app under a library counts as the app.
 */
import { existsSync, readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { SourceMap } from "node:module";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { signDevelopmentToken } from "../src/modules/credentials/tokens";
import { nodeApi } from "./node-api";
import { processCpuMs, workerdProcessesOf } from "./processes";
import { startSessionPool } from "./session-pool";
import { BENCH_CHANNEL_SECRETS, BENCH_JWT_SECRET, BENCH_WEBHOOK_SECRET_KEY } from "./settings";
import { BENCH_WORKER_NAME, startWorkerd } from "./workerd";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    /** Also print the N functions with the most self time per scenario (to stderr). */
    top: { type: "string", default: "0" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/bench" },
    runtime: { type: "string", default: "node" },
  },
});
if (values.runtime !== "node" && values.runtime !== "workerd") throw new Error("--runtime is node or workerd");
const runtime: "node" | "workerd" = values.runtime;
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
  lineNumber?: number;
  columnNumber?: number;
  /** workerd: the line in the original source a bundle frame maps to. */
  sourceLine?: number;
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
    else if (frame.functionName === "(program)") {
      stage = runtime === "node" ? "V8 and Node (no JavaScript stack)" : "V8 and workerd (no JavaScript stack)";
    } else {
      const found = stages.find(([, test]) => test(frame));
      const above = parent.get(id);
      if (found) stage = found[0];
      else if (above !== undefined) stage = classify(above);
      else if (frame.url.startsWith("node:") || frame.url.startsWith("cloudflare:") || frame.url === "") {
        stage = runtime === "node" ? "Node (sockets, streams, timers)" : "workerd built-ins (sockets, streams, timers)";
      } else stage = "other";
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
    const line = frame?.sourceLine ? `:${frame.sourceLine}` : "";
    const key = `${frame?.functionName || "(anonymous)"} ${frame?.url.replace(/.*node_modules\//, "") ?? ""}${line}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, micros]) => `${(micros / 1000).toFixed(1)} ms ${key}`)
    .join("\n");
}

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

/** What is profiled: the app and its process, however it runs. */
interface Target {
  fetch(request: Request): Promise<Response>;
  startProfile(): Promise<void>;
  stopProfile(): Promise<Profile>;
  /** CPU ms the process running the app has used so far. */
  cpuMs(): number;
  describe: string;
  close(): Promise<void>;
}

async function nodeTarget(): Promise<Target> {
  const api = await nodeApi(url);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  return {
    fetch: async (request) => api.fetch(request),
    startProfile: () => session.post("Profiler.start"),
    stopProfile: async () => ((await session.post("Profiler.stop")) as { profile: Profile }).profile,
    cpuMs: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
    describe: `the API in Node (${process.version}), in this process`,
    close: () => api.close(),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

/**
 * A Chrome DevTools Protocol session over workerd's inspector WebSocket (Miniflare's inspector
 * proxy, which only admits a loopback `Origin`).
 */
async function inspectorSession(address: string) {
  const socket = new WebSocket(address, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting || message.id === undefined) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(`inspector: ${JSON.stringify(message.error)}`));
    else waiting.resolve(message.result);
  });
  socket.once("close", (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`inspector closed (${code})`));
  });
  return {
    post<T>(method: string, params: object = {}): Promise<T> {
      const id = ++nextId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) =>
        pending.set(id, { resolve: resolve as (result: unknown) => void, reject }),
      );
    },
    close: () => socket.close(),
  };
}

/**
 * Frames of the minified bundle, renamed and relocated to their source through the bundle's
 * source map, so the stages match them as they match Node's frames.
 */
function toSources(profile: Profile, map: SourceMap): Profile {
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (!frame.url.endsWith("index.js") || frame.lineNumber === undefined || frame.columnNumber === undefined) continue;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
    if (!("originalSource" in entry)) continue;
    frame.url = entry.originalSource;
    // The minified function name stays; the source line says which function it is.
    frame.sourceLine = entry.originalLine + 1;
  }
  return profile;
}

async function workerdTarget(): Promise<Target> {
  const bundle = new URL("../dist/index.js", import.meta.url);
  if (!existsSync(bundle)) throw new Error("no dist/index.js: run `npm run build` first");
  const map = new SourceMap(JSON.parse(readFileSync(new URL("../dist/index.js.map", import.meta.url), "utf8")));
  // As the bench's worker-pooled contender: Hyperdrive's pool stood in for by a session pool of 10.
  const pool = await startSessionPool(url, { size: 10 });
  const hyperdrive = new URL(url);
  hyperdrive.host = `127.0.0.1:${pool.port}`;
  hyperdrive.password ||= "bench";
  const inspectorPort = await freePort();
  const worker = await startWorkerd({
    port: await freePort(),
    vars: {
      JWT_SECRET: BENCH_JWT_SECRET,
      PAYMENT_CHANNEL_SECRETS: JSON.stringify(BENCH_CHANNEL_SECRETS),
      WEBHOOK_SECRET_KEY: BENCH_WEBHOOK_SECRET_KEY,
    },
    hyperdrive: hyperdrive.toString(),
    inspectorPort,
  });
  const inspector = await inspectorSession(`ws://127.0.0.1:${inspectorPort}/${BENCH_WORKER_NAME}`);
  await inspector.post("Profiler.enable");
  await inspector.post("Profiler.setSamplingInterval", { interval: 100 });
  return {
    // The body as text, so the request states its Content-Length as a client's does (a stream
    // would go chunked, which the app's body limit counts as it arrives).
    fetch: async (request) =>
      fetch(`${worker.url}${new URL(request.url).pathname}`, {
        method: request.method,
        headers: request.headers,
        body: await request.text(),
      }),
    startProfile: () => inspector.post("Profiler.start"),
    stopProfile: async () => toSources((await inspector.post<{ profile: Profile }>("Profiler.stop")).profile, map),
    cpuMs: () => workerdProcessesOf(process.pid).reduce((sum, pid) => sum + processCpuMs(pid), 0),
    describe:
      "the deploy bundle in workerd (Miniflare), HYPERDRIVE binding over a session pool of 10, requests over HTTP",
    close: async () => {
      inspector.close();
      await worker.dispose();
      await pool.close();
    },
  };
}

const target = runtime === "node" ? await nodeTarget() : await workerdTarget();

async function send(body: object): Promise<void> {
  const response = await target.fetch(
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

const rows: string[] = [];
const load1 = (await import("node:os")).loadavg()[0]?.toFixed(2);
for (const [name, make] of Object.entries(scenarios)) {
  await load(make, 200); // warm-up: schema, caches, JIT
  const cpuBefore = target.cpuMs();
  await target.startProfile();
  const wallMs = await load(make, requests);
  const profile = await target.stopProfile();
  const cpuPerRequest = (target.cpuMs() - cpuBefore) / requests;
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
  `Profile of ${target.describe} (${new Date().toISOString()}, load average ${load1} at the start), production settings, ADMIN token, bench database:`,
);
console.log(rows.join("\n"));
await target.close();
process.exit(0);
