/**
 * `npm run docs:check`: runs every example of README.md and docs/*.md against a fresh `npm run dev`
 * of its own (its own free ports and a new database in .wrangler/docs-check/, no .dev.vars), so it
 * never touches a developer's running one, and fails on any error.
 *
 * A page's `sh` examples run in order in one bash (`set -euo pipefail`), as a reader runs them in
 * one terminal, from a scratch directory: what one example defines, the next may use. `graphql`
 * examples are sent as ADMIN. An example fails when it exits non-zero, or its output shows a
 * GraphQL error, a refused request, an internal error or an answer with no rows. Examples marked
 * not runnable (scripts/docs-examples.ts) are listed with their reasons.
 *
 *   npm run docs:check [-- --keep] [--verbose] [docs/partners.md ...]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { signDevelopmentToken } from "../src/modules/credentials/tokens";
import { DEVELOPMENT_JWT_SECRET } from "./dev-secrets";
import { type Example, examplesOf, onPorts, troubleIn } from "./docs-examples";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { keep: { type: "boolean", default: false }, verbose: { type: "boolean", default: false } },
});
const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = `${root}.wrangler/docs-check`;
const started = Date.now();

/** Pages in the README's order, audience by audience: a later page may read what an earlier one made. */
const READING_ORDER = ["README.md", "docs/apps.md", "docs/partners.md", "docs/operators.md", "docs/contributors.md"];
const files =
  positionals.length > 0
    ? positionals
    : [
        ...READING_ORDER,
        ...readdirSync(`${root}docs`)
          .filter((name) => name.endsWith(".md"))
          .map((name) => `docs/${name}`)
          .filter((file) => !READING_ORDER.includes(file))
          .sort(),
      ];
const pages = files.map((file) => ({ file, ...examplesOf(file, readFileSync(`${root}${file}`, "utf8")) }));
const problems = pages.flatMap((page) => page.problems);
if (problems.length > 0) {
  console.error(`Examples marked wrongly:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const ports = { api: await freePort(), database: await freePort(), receiver: await freePort() };
const origin = `http://localhost:${ports.api}`;
// The check's examples and server ignore any .dev.vars (KEPESERTAAN_DEV_VARS empty): they run as documented.
const environment = { ...process.env, KEPESERTAAN_DEV_VARS: "", CI: process.env.CI ?? "" };
await rm(scratch, { recursive: true, force: true });
await mkdir(`${scratch}/work`, { recursive: true });

let server: ChildProcess | undefined;
const serverLog: string[] = [];

/** Stops the check's `npm run dev` (its own process group: tsx, wrangler, workerd, PGlite). */
async function stopServer(): Promise<void> {
  if (!server?.pid || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server?.once("exit", resolve));
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (server?.pid) process.kill(-server.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

async function finish(code: number): Promise<never> {
  await stopServer();
  if (!values.keep) await rm(scratch, { recursive: true, force: true });
  process.exit(code);
}
process.on("SIGINT", () => void finish(130));
process.on("SIGTERM", () => void finish(143));

/** Starts `npm run dev` on the check's ports and waits until its API answers /health. */
async function startServer(): Promise<void> {
  server = spawn(
    process.execPath,
    [
      `${root}node_modules/tsx/dist/cli.mjs`,
      `${root}scripts/dev.ts`,
      "--port",
      String(ports.api),
      "--db-port",
      String(ports.database),
      "--data-dir",
      `${scratch}/pglite`,
    ],
    { cwd: root, env: environment, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  for (const stream of [server.stdout, server.stderr]) {
    stream?.on("data", (chunk: Buffer) => serverLog.push(chunk.toString("utf8")));
  }
  for (const deadline = Date.now() + 240_000; Date.now() < deadline; ) {
    if (server.exitCode !== null) break;
    try {
      const health = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(5_000) });
      if (health.ok) return;
    } catch {
      // Not up yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  console.error(`npm run dev did not come up on :${ports.api}:\n${serverLog.join("").slice(-4_000)}`);
  await finish(1);
}

interface Outcome {
  example: Example;
  ok: boolean;
  detail?: string;
  /** What it printed (graphql: the answer), for --verbose. */
  shown?: string;
}

const adminToken = await signDevelopmentToken(
  { subject: "docs-check", role: "ADMIN", scopes: [] },
  DEVELOPMENT_JWT_SECRET,
);

async function runGraphql(example: Example): Promise<Outcome> {
  const response = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({
      query: example.code,
      ...(example.variables ? { variables: JSON.parse(example.variables) as unknown } : {}),
    }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  const trouble = response.ok ? troubleIn(text) : `HTTP ${response.status}`;
  return trouble
    ? { example, ok: false, detail: `${trouble}: ${text.slice(0, 1_000)}` }
    : { example, ok: true, shown: text };
}

/** Runs a page's sh examples in order in one bash; each example's output is framed by markers. */
async function runShell(examples: Example[]): Promise<Outcome[]> {
  const script = [
    "set -euo pipefail",
    ...examples.flatMap((example, index) => [
      `echo "@@docs-check:start:${index}@@"`,
      onPorts(example.code, ports),
      `echo "@@docs-check:end:${index}@@"`,
    ]),
  ].join("\n");
  const file = `${scratch}/page-${Date.now()}.sh`;
  await writeFile(file, script);
  const bash = spawn("bash", [file], {
    cwd: `${scratch}/work`,
    env: environment,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  bash.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  bash.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const timer = setTimeout(() => bash.pid && process.kill(-bash.pid, "SIGKILL"), 300_000);
  const code = await new Promise<number>((resolve) => bash.on("exit", (exit) => resolve(exit ?? 1)));
  clearTimeout(timer);
  // Whatever an example left running (a receiver in the background) ends with its page.
  try {
    if (bash.pid) process.kill(-bash.pid, "SIGTERM");
  } catch {
    // Nothing left.
  }
  return examples.map((example, index) => {
    const start = output.indexOf(`@@docs-check:start:${index}@@`);
    const end = output.indexOf(`@@docs-check:end:${index}@@`);
    if (start === -1) return { example, ok: false, detail: "not run: an earlier example of its page failed" };
    const shown = output.slice(start + `@@docs-check:start:${index}@@`.length, end === -1 ? undefined : end).trim();
    if (end === -1) return { example, ok: false, detail: `exited with ${code}:\n${shown.slice(-2_000)}` };
    const trouble = troubleIn(shown);
    return trouble
      ? { example, ok: false, detail: `${trouble}:\n${shown.slice(-2_000)}` }
      : { example, ok: true, shown };
  });
}

await startServer();
const serverReady = Date.now();
const outcomes: Outcome[] = [];
for (const page of pages) {
  const runnable = page.examples.filter((example) => example.notRunnable === undefined);
  const pageStarted = Date.now();
  // The page's shell examples first, in their order; its GraphQL examples then read what they made.
  outcomes.push(...(await runShell(runnable.filter((example) => example.language === "sh"))));
  for (const example of runnable.filter((candidate) => candidate.language === "graphql")) {
    outcomes.push(await runGraphql(example).catch((error: unknown) => ({ example, ok: false, detail: String(error) })));
  }
  const failed = outcomes.filter((outcome) => outcome.example.file === page.file && !outcome.ok).length;
  console.log(
    `${failed > 0 ? "✗" : "✓"} ${page.file}: ${runnable.length} run${failed > 0 ? `, ${failed} failed` : ""}, ` +
      `${page.examples.length - runnable.length} marked not runnable (${((Date.now() - pageStarted) / 1000).toFixed(1)} s)`,
  );
}

if (values.verbose) {
  for (const outcome of outcomes.filter((candidate) => candidate.ok)) {
    console.log(`\n--- ${outcome.example.file}:${outcome.example.line}\n${outcome.shown ?? ""}`);
  }
}
const notRunnable = pages.flatMap((page) => page.examples.filter((example) => example.notRunnable !== undefined));
for (const example of notRunnable) console.log(`  not run: ${example.file}:${example.line} — ${example.notRunnable}`);
const failures = outcomes.filter((outcome) => !outcome.ok);
for (const failure of failures) {
  console.error(`\n✗ ${failure.example.file}:${failure.example.line} (${failure.example.language}): ${failure.detail}`);
}
console.log(
  `\n${outcomes.length - failures.length} of ${outcomes.length} examples passed, ${notRunnable.length} marked not runnable; ` +
    `npm run dev ready in ${((serverReady - started) / 1000).toFixed(0)} s, ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
);
await finish(failures.length > 0 ? 1 : 0);
