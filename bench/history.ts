/**
 * `npm run bench:history [-- --backfill | --backfill-months N] [--daily] [--reads N] [--out FILE] [--json FILE]`: the growth story's costs (#32) on
 * a seeded bench database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench; seed it
 * with `npm run bench -- --scale N --seed-only`). Applies pending migrations (timed: a migration's
 * backfill is part of the bill), optionally reconstructs every month before history was kept,
 * closes last month as the month-end job does, then times `coverageHistory` for 36 months at
 * national and province scope and the registration funnel, in-process against the database (the
 * API's own work, without HTTP). Writes bench/RESULTS-HISTORY.md. Not part of `npm test`.
 */
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { migrationsFolder } from "../scripts/migrate";
import { connectNode } from "../scripts/node-database";
import { DAILY_JOB, dailyJobSteps } from "../src/daily-job";
import type { Database, Transaction } from "../src/db/client";
import type { Viewer } from "../src/modules/access/rules";
import {
  backfillCoverageHistory,
  closeCoverageMonth,
  coverageHistory,
  registrationFunnel,
} from "../src/modules/dashboard/service";
import { runJobSteps } from "../src/modules/jobs/service";
import { currentMonth, monthStart } from "../src/shared/calendar";

const { values } = parseArgs({
  options: {
    backfill: { type: "boolean", default: false },
    /** Reconstruct only the N months before last (as the backfill does each), to time a month of it. */
    "backfill-months": { type: "string" },
    /** Also run the daily job's steps (fold, every rollup verification, three closes), each timed. */
    daily: { type: "boolean", default: false },
    reads: { type: "string", default: "200" },
    json: { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("RESULTS-HISTORY.md", import.meta.url)) },
  },
});
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/bench";
const reads = Number(values.reads);
const load = () => loadavg()[0]?.toFixed(2) ?? "?";
const lines: string[] = [];
const log = (line: string) => {
  console.log(line);
  lines.push(line);
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Every figure measured, by name, for bench:scale to fit a line through sizes. */
const figures: Record<string, number> = {};

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** p50, p95 and max of `count` sequential calls, after `warmup` unmeasured ones. */
async function latency(count: number, call: () => Promise<unknown>, warmup = 5) {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push((await timed(call)).ms);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: times.at(-1) ?? 0 };
}

const connection = await connectNode(url);
const db = connection.db as unknown as Database;
const startLoad = load();
const now = new Date();
const current = currentMonth(now);
const lastMonth = monthStart(current - 1);
const admin: Viewer = { kind: "user", role: "ADMIN", subject: "bench-history", scopes: new Set() };
try {
  const migration = await timed(() => connection.migrate(migrationsFolder));
  const count = async (query: ReturnType<typeof sql>) =>
    Number(((await db.execute(query)) as unknown as { rows: { n: string }[] }).rows[0]?.n ?? 0);
  const participants = await count(sql`select count(*)::text as n from participants`);
  const coveredMonths = await count(sql`select count(*)::text as n from covered_months`);
  const programMonths = await count(sql`select count(*)::text as n from program_months`);
  log(`# Growth story at ${participants.toLocaleString("en")} participants (#32)`);
  log("");
  log(
    `Run ${now.toISOString()} on ${new URL(url).pathname.slice(1)}: ${participants.toLocaleString("en")} participants, ${coveredMonths.toLocaleString("en")} covered months, ${programMonths.toLocaleString("en")} program-months. 2 cores; load average ${startLoad} at the start. In-process calls of the API's services against PostgreSQL 15 at 127.0.0.1 (no HTTP).`,
  );
  log("");
  log("| step | time |");
  log("| --- | --- |");
  log(`| pending migrations applied (their backfills included) | ${seconds(migration.ms)} |`);
  figures.participants = participants;
  figures.migrationMs = migration.ms;
  if (values.backfill) {
    const backfill = await timed(() => backfillCoverageHistory(db, now));
    log(
      `| backfill: ${backfill.value} months reconstructed | ${seconds(backfill.ms)} (${seconds(backfill.ms / Math.max(1, backfill.value))} a month) |`,
    );
  }
  const sample = Number(values["backfill-months"] ?? 0);
  if (sample > 0) {
    const sampled = await timed(async () => {
      for (let back = sample + 1; back >= 2; back -= 1)
        await closeCoverageMonth(db, monthStart(current - back), now, { reconstructed: true });
    });
    const months = await count(
      sql`select (extract(year from age(date_trunc('month', now()), date_trunc('month', min(registered_at)))) * 12 + extract(month from age(date_trunc('month', now()), date_trunc('month', min(registered_at)))))::text as n from participants`,
    );
    figures.backfillMonthMs = sampled.ms / sample;
    figures.backfillMonths = months;
    log(
      `| backfill sample: ${sample} months reconstructed as the backfill does each (${months} months since the first registration) | ${seconds(sampled.ms)} (${seconds(sampled.ms / sample)} a month; the whole backfill ≈ ${seconds((sampled.ms / sample) * months)}) |`,
    );
  }
  const close = await timed(() => closeCoverageMonth(db, lastMonth, now));
  log(`| month-end close of ${lastMonth.slice(0, 7)} (${close.value} history rows) | ${seconds(close.ms)} |`);
  figures.closeMs = close.ms;
  if (values.daily) {
    // The cron's steps as one run, each timed: which one a budget at 70 M would have to split.
    const timings: { step: string; ms: number }[] = [];
    const steps = (await dailyJobSteps(db, now)).map((step) => ({
      name: step.name,
      run: async (tx: Transaction) => {
        const started = performance.now();
        const result = await step.run(tx);
        timings.push({ step: step.name, ms: performance.now() - started });
        return result;
      },
    }));
    const daily = await timed(() =>
      runJobSteps(db, {
        job: DAILY_JOB,
        runKey: `bench:${now.toISOString()}`,
        steps,
        budgetMs: Number.POSITIVE_INFINITY,
        elapsedMs: () => 0,
        finishedAt: () => new Date().toISOString(),
      }),
    );
    figures.dailyJobMs = daily.ms;
    figures.dailyLongestStepMs = Math.max(...timings.map((t) => t.ms));
    log(`| the daily job, all ${timings.length} steps in one run | ${seconds(daily.ms)} |`);
    for (const t of timings) log(`| · step \`${t.step}\` | ${seconds(t.ms)} |`);
  }
  log("");

  const from = monthStart(current - 36);
  const history = (regionCode: string | null) => () =>
    coverageHistory({ db, viewer: admin }, { from, to: lastMonth, now, regionCode });
  const kept = await history(null)();
  log(`| read (${reads} sequential calls after 5 warm-up) | p50 ms | p95 ms | max ms |\n| --- | --- | --- | --- |`);
  for (const [label, call] of [
    [`coverageHistory, national, 36 months (${kept.length} returned)`, history(null)],
    ["coverageHistory, province 32, 36 months", history("32")],
    ["coverageHistory, regency 32.73, 36 months", history("32.73")],
  ] as const) {
    const measured = await latency(reads, call);
    figures[`${label.split(" (")[0]} p95`] = measured.p95;
    log(`| ${label} | ${measured.p50.toFixed(2)} | ${measured.p95.toFixed(2)} | ${measured.max.toFixed(2)} |`);
  }
  const funnel = (regionCode: string | null, months: number) => () =>
    registrationFunnel(
      { db, viewer: admin },
      { from: monthStart(current - months), to: lastMonth, regionCode, by: "CHANNEL", now },
    );
  for (const [label, call] of [
    ["registrationFunnel, regency 32.73, 12 months", funnel("32.73", 12)],
    ["registrationFunnel, province 32, 12 months", funnel("32", 12)],
    ["registrationFunnel, national, 12 months", funnel(null, 12)],
  ] as const) {
    // Seconds each at national scope: one warm-up call is enough to fill the cache.
    const measured = await latency(3, call, 1);
    figures[`${label} p50`] = measured.p50;
    log(
      `| ${label} (3 calls) | ${measured.p50.toFixed(2)} | ${measured.p95.toFixed(2)} | ${measured.max.toFixed(2)} |`,
    );
  }
  log("");
  log(`Load average ${load()} at the end.`);
  await writeFile(values.out, `${lines.join("\n")}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await connection.close();
}
