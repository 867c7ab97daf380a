/**
 * `npm run bench:scale [-- --sizes 1000000,5000000,10000000] [--seconds S]`: the growth curve (#33
 * item 4). For each size, a bench database of its own (`bench_<N>m`, seeded once, reproducibly)
 * gets the same measurements: the API under load (page, by id, national dashboard, region + status
 * list, an officer's work list, payContribution: `npm run bench` with the api contender only) and the jobs and reads of
 * the growth story (`npm run bench:history`: month-end close, a backfill month, the daily job step
 * by step, history reads, the funnel). Then a straight line through each figure by size gives its
 * slope and the 70 M projection, written to bench/RESULTS-SCALE.md with every run's own report in
 * bench/scale/. One machine, one run: the figures compare with each other, not with other machines.
 *
 * `--one-at-a-time` drops each size's database before the next is seeded (the last one stays), so a
 * curve to 10 M needs the disk of its largest size only. The curve is written after every size: a
 * run cut short keeps what it measured.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, statfs, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000000,5000000,10000000" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "2" },
    /** Leave the load scenarios out (the jobs only). */
    "jobs-only": { type: "boolean", default: false },
    /** Drop a size's database once measured, before the next is seeded (the last stays). */
    "one-at-a-time": { type: "boolean", default: false },
  },
});
const sizes = values.sizes.split(",").map(Number);
const root = fileURLToPath(new URL("..", import.meta.url));
const folder = fileURLToPath(new URL("./scale/", import.meta.url));
const server = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/bench";
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
const databaseFor = (size: number) => {
  const url = new URL(server);
  url.pathname = `/bench_${size / 1_000_000}m`;
  return url.toString();
};
const label = (size: number) => `${size / 1_000_000} M`;
/** The server's own maintenance database, for creating and dropping the bench databases. */
const admin = () => {
  const url = new URL(server);
  url.pathname = "/postgres";
  return new pg.Client({ connectionString: url.toString() });
};
/** What the seed took on disk in the runs of bench/RESULTS-SCALE.md, with room for the jobs' writes. */
const bytesPerParticipant = (7.5 * 1024 ** 3) / 1_000_000;

/**
 * Refuses a size the database's disk cannot hold before hours go into seeding it: a full disk
 * stops PostgreSQL for every other user of the server. Only a local server's disk can be read.
 */
async function ensureRoomFor(size: number, client: pg.Client) {
  const seeded = await client.query("select 1 from pg_tables where tablename = 'bench_marker'");
  if (seeded.rowCount) return;
  const directory = await client
    .query<{ data_directory: string }>("show data_directory")
    .then((result) => result.rows[0]?.data_directory)
    .catch(() => undefined);
  const disk = directory ? await statfs(directory).catch(() => undefined) : undefined;
  if (!disk) return;
  const free = disk.bavail * disk.bsize;
  const need = size * bytesPerParticipant;
  if (free < need) {
    throw new Error(
      `bench_${size / 1_000_000}m needs about ${(need / 1024 ** 3).toFixed(0)} GB; the database's disk has ${(free / 1024 ** 3).toFixed(0)} GB free (drop other bench databases, or --one-at-a-time).`,
    );
  }
}

async function dropDatabase(size: number) {
  const client = admin();
  await client.connect();
  await client.query(`drop database if exists "bench_${size / 1_000_000}m" with (force)`);
  await client.end();
}

/** Connects to a size's database, creating it empty on first use. */
async function connectTo(size: number) {
  const maintenance = admin();
  await maintenance.connect();
  const found = await maintenance.query("select 1 from pg_database where datname = $1", [`bench_${size / 1_000_000}m`]);
  if (!found.rowCount) await maintenance.query(`create database "bench_${size / 1_000_000}m"`);
  await maintenance.end();
  const client = new pg.Client({ connectionString: databaseFor(size) });
  await client.connect();
  return client;
}

/** The api row's req/s and p95 of each scenario section in a bench/run.ts report. */
function apiFigures(report: string): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const section of report.split(/^### /m).slice(1)) {
    const title = section.split("\n")[0]?.trim() ?? "";
    const row = section.split("\n").find((line) => line.startsWith("| api |"));
    if (!row) continue;
    const cells = row.split("|").map((cell) => cell.trim());
    figures[`${title}: req/s`] = Number(cells[2]);
    figures[`${title}: p95 ms`] = Number(cells[4]);
  }
  return figures;
}

/** Least squares through (size in millions, value): the slope per million and the value at 70 M. */
function line(points: { x: number; y: number }[]) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  return { slope, at70: my + slope * (70 - mx) };
}

const run = (script: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync("npx", ["tsx", script, ...args], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
  });

await mkdir(folder, { recursive: true });
const startLoad = load();
const started = new Date();
const bySize = new Map<number, Record<string, number>>();
for (const [index, size] of sizes.entries()) {
  const database = databaseFor(size);
  const tag = `${size / 1_000_000}m`;
  console.log(`\n== ${label(size)}: ${database}`);
  const client = await connectTo(size);
  await ensureRoomFor(size, client);
  // Seeds on first use (a marker row keeps a seeded database from being seeded twice).
  run("bench/run.ts", ["--scale", String(size), "--database-url", database, "--seed-only"]);
  const figures: Record<string, number> = {};
  // What the data takes on disk: beside the machine's memory, it tells which reads stay in cache.
  const bytes = await client.query<{ bytes: string }>("select pg_database_size(current_database())::text as bytes");
  await client.end();
  figures["database size, GB"] = Number(bytes.rows[0]?.bytes ?? Number.NaN) / 1024 ** 3;
  if (!values["jobs-only"]) {
    const out = `${folder}load-${tag}.md`;
    run("bench/run.ts", [
      "--scale",
      String(size),
      "--database-url",
      database,
      "--contenders",
      "api",
      "--only",
      "page,byId,regionStatus,dashboard,workList,pay",
      "--seconds",
      values.seconds,
      "--rounds",
      values.rounds,
      "--out",
      out,
    ]);
    Object.assign(figures, apiFigures(await readFile(out, "utf8")));
  }
  const json = `${folder}history-${tag}.json`;
  run(
    "bench/history.ts",
    ["--backfill-months", "2", "--daily", "--reads", "50", "--out", `${folder}history-${tag}.md`, "--json", json],
    {
      DATABASE_URL: database,
    },
  );
  Object.assign(figures, JSON.parse(await readFile(json, "utf8")) as Record<string, number>);
  bySize.set(size, figures);
  await writeCurve();
  if (values["one-at-a-time"] && index < sizes.length - 1) await dropDatabase(size);
}
console.log(await writeCurve());

/** The table of every size measured so far, written between RESULTS-SCALE.md's curve markers. */
async function writeCurve() {
  const names = [...new Set([...bySize.values()].flatMap((figures) => Object.keys(figures)))].filter(
    (name) => !["participants", "backfillMonths"].includes(name),
  );
  const format = (value: number | undefined, name: string) =>
    value === undefined || Number.isNaN(value)
      ? "—"
      : name.endsWith("Ms")
        ? `${(value / 1000).toFixed(1)} s`
        : value.toFixed(name.endsWith("req/s") ? 0 : 2);
  const rows = names.map((name) => {
    const points = sizes.flatMap((size) => {
      const y = bySize.get(size)?.[name];
      return y === undefined || Number.isNaN(y) ? [] : [{ x: size / 1_000_000, y }];
    });
    const fit = points.length >= 2 ? line(points) : null;
    return `| ${name} | ${sizes.map((size) => format(bySize.get(size)?.[name], name)).join(" | ")} | ${fit ? format(fit.slope, name) : "—"} | ${fit && fit.at70 >= 0 ? format(fit.at70, name) : "—"} |`;
  });
  const report = `## The growth curve, measured

Run ${started.toISOString()} to ${new Date().toISOString()} on this machine (2 cores, PostgreSQL 15 at
127.0.0.1, shared by the load generator, the API and the database); load average ${startLoad} at the
start, ${load()} at the end. Each size is its own database seeded by the same generator (bench/seed.ts).
Reports of each run: bench/scale/. Times in seconds are jobs run in-process against the database;
req/s and p95 are the api contender under autocannon (-c 10, ${values.rounds} × ${values.seconds} s).
The slope is per million participants (least squares through the sizes); the last column extends
that line to 70 M ("—" where the line falls below zero). A straight line is the assumption: it holds
for work that is one pass over participants or payments, and overstates work that reads a fixed
number of rows (by id, history).

| figure | ${sizes.map(label).join(" | ")} | slope per 1 M | at 70 M (projected) |
| --- | ${sizes.map(() => "---").join(" | ")} | --- | --- |
${rows.join("\n")}
`;
  // The measured curve goes between the markers; the analysis written around it stays.
  const results = fileURLToPath(new URL("./RESULTS-SCALE.md", import.meta.url));
  const existing = await readFile(results, "utf8").catch(() => "");
  const [before, rest] = existing.split("<!-- curve:start -->");
  const after = rest?.split("<!-- curve:end -->")[1];
  await writeFile(
    results,
    before !== undefined && after !== undefined
      ? `${before}<!-- curve:start -->\n${report}<!-- curve:end -->${after}`
      : `<!-- curve:start -->\n${report}<!-- curve:end -->\n`,
  );
  return report;
}
