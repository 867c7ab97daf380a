/**
 * One benchmark contender as its own process:
 * `tsx bench/server.ts <api|worker|sql|postgraphile> <port> <postgres-url> [statements-port]`.
 * Prints `ready` when listening; `GET /__statements` on `statements-port` reports the SQL
 * statements sent so far and the requests served.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import pg from "pg";
import { startWebSocketProxy } from "../scripts/ws-proxy";
import { nodeApi } from "./node-api";
import { processCpuMs, workerdProcessesOf } from "./processes";
import { startSessionPool } from "./session-pool";
import { BENCH_CHANNEL_SECRETS, BENCH_JWT_SECRET, BENCH_WEBHOOK_SECRET_KEY } from "./settings";
import { startWorkerd } from "./workerd";

const [kind, portText, url, statementsPortText, workerRuntime = "workerd"] = process.argv.slice(2);
const port = Number(portText);
if (!kind || !url || !port) {
  throw new Error(
    "usage: server.ts <api|worker|worker-pooled|sql|postgraphile> <port> <postgres-url> <statements-port> [workerd|wrangler]",
  );
}

let statements = 0;
/** What must stop before this process exits (workerd under Miniflare). */
const beforeExit: (() => Promise<void>)[] = [];
let requests = 0;

// Every contender reports beside its own port, which its server answers in full.
const counter = new Hono();
// The Worker counts no requests itself: the runner divides by what the load generator sent.
counter.get("/__statements", (c) =>
  c.json({ statements, requests: kind.startsWith("worker") ? null : requests, cpuMs: cpuMs() }),
);
serve({ fetch: counter.fetch, port: Number(statementsPortText), hostname: "127.0.0.1" });

/** CPU time this contender has used so far, ms: its own process, or for a Worker its workerd. */
let workerdPids: (() => number[]) | null = null;
function cpuMs(): number {
  if (!workerdPids) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  return workerdPids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

/** Starts `wrangler dev` on `port` and resolves once the Worker answers /health (database included). */
async function startWrangler(
  config: string,
  port: number,
  vars: Record<string, string>,
  environment: Record<string, string>,
): Promise<ChildProcess> {
  // The values (the database URL may hold a password) go in a file, never on a command line `ps` shows.
  const envFile = `${mkdtempSync(join(tmpdir(), "kepesertaan-bench-"))}/bench.env`;
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([name, value]) => `${name}='${value}'`)
      .join("\n"),
    { mode: 0o600 },
  );
  const wrangler = spawn(
    "wrangler",
    [
      "dev",
      "--config",
      config,
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--log-level",
      "warn",
      "--show-interactive-dev-session=false",
      "--env-file",
      envFile,
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ...environment, WRANGLER_SEND_METRICS: "false" },
    },
  );
  wrangler.on("exit", (code) => {
    console.error(`wrangler dev exited with ${code}`);
    process.exit(1);
  });
  process.on("exit", () => wrangler.kill("SIGTERM"));
  for (;;) {
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return wrangler;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

if (kind === "api") {
  // The same Hono app as the Worker, on Node: a long-lived process keeps one pool of 10
  // connections (node-postgres, like the other contenders) instead of a connection per request.
  const api = await nodeApi(url, () => {
    statements += 1;
  });
  const outer = new Hono();
  outer.all("*", (c) => {
    requests += 1;
    return api.fetch(c.req.raw);
  });
  serve({ fetch: outer.fetch, port, hostname: "127.0.0.1" }, () => console.log("ready"));
} else if (kind === "worker" || kind === "worker-pooled") {
  // The Worker itself under workerd: production settings, a rate limit no benchmark reaches.
  // `worker` reaches PostgreSQL as without a pooler: the Neon driver over a WebSocket, one new
  // connection per request. `worker-pooled` as with Hyperdrive: a HYPERDRIVE binding (node-postgres
  // over TCP) whose local connection string points at a session pool of warm connections
  // (bench/session-pool.ts), as Hyperdrive's pool is in production. Statements are counted on the
  // wire by the proxy or the pool in between.
  //
  // By default workerd runs the deploy bundle (`dist/index.js` from `npm run build`) through
  // Miniflare, alone. `wrangler dev` (runtime "wrangler", as before) bundles for development, puts
  // its dev proxy in front and attaches its inspector (console output streams to wrangler):
  // measured in alternation with this, its Worker's workerd used 3–10 ms more CPU per request
  // (dashboard, by id, page), which production does not pay.
  const onStatement = () => {
    statements += 1;
  };
  const vars: Record<string, string> = {
    JWT_SECRET: BENCH_JWT_SECRET,
    PAYMENT_CHANNEL_SECRETS: JSON.stringify(BENCH_CHANNEL_SECRETS),
    WEBHOOK_SECRET_KEY: BENCH_WEBHOOK_SECRET_KEY,
  };
  const environment: Record<string, string> = {};
  let hyperdrive: string | undefined;
  if (kind === "worker") {
    const proxy = await startWebSocketProxy(0, { onStatement });
    Object.assign(vars, { DATABASE_URL: url, DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1` });
  } else {
    // Hyperdrive's pool holds connections per Worker location; 10 matches the api contender's pool.
    const pool = await startSessionPool(url, { size: 10, onStatement });
    const local = new URL(url);
    local.host = `127.0.0.1:${pool.port}`;
    // Miniflare requires a password in the connection string; the pool does not check it.
    local.password ||= "bench";
    hyperdrive = local.toString();
    environment.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = hyperdrive;
  }
  if (workerRuntime === "wrangler") {
    const wrangler = await startWrangler(
      kind === "worker" ? "bench/wrangler.bench.toml" : "bench/wrangler.bench-pooled.toml",
      port,
      vars,
      environment,
    );
    // The Worker's workerd only, not wrangler's dev proxy in front of it (see bench/processes.ts).
    workerdPids = () => workerdProcessesOf(wrangler.pid, port);
  } else {
    const worker = await startWorkerd({ port, vars, ...(hyperdrive ? { hyperdrive } : {}) });
    // Awaited before exiting (below): an exit handler cannot wait, and workerd would outlive us,
    // holding the port for the next run.
    beforeExit.push(() => worker.dispose());
    workerdPids = () => workerdProcessesOf(process.pid);
  }
  console.log("ready");
} else if (kind === "sql") {
  // The practical limit: one tuned statement per request, each participant's JSON built in SQL.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const app = new Hono();
  const participantJson = `json_build_object(
      'id', p.id, 'nik', p.nik, 'fullName', p.full_name, 'paidThrough', p.paid_through,
      'ecosystem', json_build_object('code', e.code, 'name', e.name),
      'region', json_build_object('code', r.code, 'name', r.name),
      'sponsor', case when s.id is null then null else json_build_object('id', s.id, 'name', s.name) end,
      'payments', coalesce((select json_agg(json_build_object('id', x.id, 'amount', x.amount::text, 'status', x.status, 'coverageFrom', x.coverage_from))
                  from (select * from payments y where y.participant_id = p.id order by y.created_at desc, y.id desc limit 3) x), '[]'))`;
  const from = `from participants p join ecosystems e on e.code = p.ecosystem_code join regions r on r.code = p.village_code
      left join sponsors s on s.id = p.sponsor_id`;
  const query = async (text: string, values: unknown[]) => {
    statements += 1;
    return pool.query(text, values);
  };
  app.get("/page", async (c) => {
    requests += 1;
    const result = await query(
      `select ${participantJson} as node ${from} where p.ecosystem_code = $1 order by p.registered_at desc, p.id desc limit 100`,
      [c.req.query("ecosystem")],
    );
    return c.json({ data: { participants: { nodes: result.rows.map((row) => row.node) } } });
  });
  app.get("/participant", async (c) => {
    requests += 1;
    const result = await query(`select ${participantJson} as node ${from} where p.id = $1`, [
      Number(c.req.query("id")),
    ]);
    return c.json({ data: { participant: result.rows[0]?.node ?? null } });
  });
  app.get("/region", async (c) => {
    requests += 1;
    const result = await query(
      `select ${participantJson} as node ${from} where p.village_code like $1 and p.paid_through >= $2::date
       order by p.registered_at desc, p.id desc limit 100`,
      [`${c.req.query("region")}.%`, c.req.query("from")],
    );
    return c.json({ data: { participants: { nodes: result.rows.map((row) => row.node) } } });
  });
  serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log("ready"));
} else if (kind === "postgraphile") {
  // PostGraphile v5 over the same database and schema, with its recommended preset.
  const { postgraphile } = await import("postgraphile");
  const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
  const { makePgService } = await import("postgraphile/adaptors/pg");
  const { grafserv } = await import("postgraphile/grafserv/node");
  // Its own pool of 10, each client's query() counted: every statement PostGraphile sends.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        statements += 1;
        return query(...args);
      },
    });
  });
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ pool, schemas: ["public"] })],
    grafserv: { graphqlPath: "/graphql", graphiql: false },
    grafast: { explain: false },
  });
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("request", (request) => {
    if (request.url === "/graphql") requests += 1;
  });
  serv.addTo(server).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
  server.listen(port, "127.0.0.1", () => console.log("ready"));
} else {
  throw new Error(`unknown contender ${kind}`);
}

// Exit cleanly when the runner is done, so profilers (--cpu-prof) can write their output, after
// whatever this contender started has stopped.
process.on("SIGTERM", () => {
  void Promise.allSettled(beforeExit.map((stop) => stop())).finally(() => process.exit(0));
});
