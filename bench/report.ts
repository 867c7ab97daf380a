/** The benchmark's arithmetic and tables, apart from bench/run.ts so test/bench-harness.test.ts can check them. */

/** What a contender's server reports (`GET /__statements` beside its port). */
export interface Counters {
  statements: number;
  /** null for a Worker, which counts none: the load generator's count stands in. */
  requests: number | null;
  /** CPU its process has used so far (for a Worker: the Worker's workerd), user + system, ms. */
  cpuMs: number;
}

export interface Row {
  contender: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  /** SQL statements per request, 2 decimals, or "n/a" when the contender could not be asked. */
  statements: string;
  /** CPU ms per request, 1 decimal, or "n/a". */
  cpu: string;
}

/**
 * Statements and CPU per request between two readings of a contender's counters (after the
 * warm-up, and after the measured rounds, each once the contender is idle). Requests are the
 * server's own count when it keeps one, else what the load generator sent in those rounds.
 */
export function perRequest(
  before: Counters | null,
  after: Counters | null,
  answered: number,
): { statements: string; cpu: string } {
  if (!before || !after) return { statements: "n/a", cpu: "n/a" };
  const served = before.requests != null && after.requests != null ? after.requests - before.requests : answered;
  if (served <= 0) return { statements: "n/a", cpu: "n/a" };
  return {
    statements: ((after.statements - before.statements) / served).toFixed(2),
    cpu: ((after.cpuMs - before.cpuMs) / served).toFixed(1),
  };
}

/** `a / b` to two decimals, or "—" when either side did not run. */
function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? "—" : (a / b).toFixed(2);
}

/** One scenario's Markdown table; ratios against PostGraphile and the hand-written endpoint where they ran. */
export function scenarioTable(name: string, rows: readonly Row[]): string {
  const rpsOf = (contender: string) => rows.find((r) => r.contender === contender)?.rps;
  return `### ${name}\n\n| contender | req/s | p50 ms | p95 ms | p99 ms | errors | SQL statements / request | CPU ms / request | req/s vs PostGraphile | req/s vs hand-written SQL |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n${rows
    .map(
      (r) =>
        `| ${r.contender} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.errors} | ${r.statements} | ${r.cpu} | ${ratio(r.rps, rpsOf("postgraphile"))} | ${ratio(r.rps, rpsOf("sql"))} |`,
    )
    .join("\n")}\n`;
}

/**
 * The run at a glance, first in RESULTS.md: per scenario this API's throughput and CPU, its ratios
 * to PostGraphile and to the hand-written endpoint, and the pooled Worker against the Node server.
 */
export function atAGlance(scenarios: readonly { name: string; rows: readonly Row[] }[]): string {
  const lines = scenarios.map(({ name, rows }) => {
    const of = (contender: string) => rows.find((r) => r.contender === contender);
    const api = of("api");
    const pooled = of("worker-pooled");
    return `| ${name} | ${api ? api.rps.toFixed(0) : "—"} | ${api?.cpu ?? "—"} | ${ratio(api?.rps, of("postgraphile")?.rps)} | ${ratio(api?.rps, of("sql")?.rps)} | ${ratio(pooled?.rps, api?.rps)} | ${pooled?.cpu ?? "—"} |`;
  });
  return `| scenario | api req/s | api CPU ms / request | api vs PostGraphile | api vs hand-written SQL | Worker pooled vs api | Worker pooled CPU ms / request |\n| --- | --- | --- | --- | --- | --- | --- |\n${lines.join("\n")}\n`;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** What bench/cold-start.ts prints (medians, ms; see there for how each is taken). */
export interface ColdStart {
  runs: number;
  bundleBytes: number;
  workerdStartupMs: number;
  coldStartMs: number;
  coldStartCpuMs: number;
  moduleLoadMs: number;
  moduleLoadCpuMs: number;
}

/** What bench/startup.ts prints: `wrangler check startup`'s CPU, and the unminified build's by module. */
export interface StartupProfile {
  deployedActiveMs: number;
  deployedGcMs: number;
  unminifiedActiveMs: number;
  byModule: { owner: string; ms: number }[];
}

/** The "Worker" section: bundle size, schema build in Node, cold start inside workerd, and its start-up profile. */
export function workerSection(measured: {
  gzipKiB: number;
  schemaBuildMs: string;
  coldStart: ColdStart;
  startup?: StartupProfile;
}): string {
  const { gzipKiB, schemaBuildMs, coldStart: c, startup } = measured;
  return `### Worker

Bundle ${gzipKiB.toFixed(0)} KiB gzipped (target < 1,024 KiB); schema module import + build ${schemaBuildMs} ms in Node via tsx, including loading every dependency (once per isolate).

Cold start inside workerd (median of ${c.runs} fresh workerd processes, each less a trivial Worker's start-up of ${c.workerdStartupMs} ms; no database involved; target < 250 ms):

| from a new isolate to | wall ms | workerd CPU ms |
| --- | --- | --- |
| the first answer of \`{ __typename }\` (module load, schema build, first GraphQL request) | ${c.coldStartMs} | ${c.coldStartCpuMs} |
| the first answer of a route that 404s (module load and schema build only) | ${c.moduleLoadMs} | ${c.moduleLoadCpuMs} |
${startup ? startupTable(startup) : ""}`;
}

/** `wrangler check startup` on the deployed build, and where the unminified build's start-up CPU goes. */
function startupTable(startup: StartupProfile): string {
  return `
\`wrangler check startup\` (the global scope under workerd's profiler): ${startup.deployedActiveMs} ms of CPU for the deployed, minified bundle (${startup.deployedGcMs} ms of it garbage collection); ${startup.unminifiedActiveMs} ms unminified, charged by module (esbuild's module markers; bench/startup.ts):

| package or folder | start-up CPU ms |
| --- | --- |
${startup.byModule.map((entry) => `| ${entry.owner} | ${entry.ms} |`).join("\n")}
`;
}
