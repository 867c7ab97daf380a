/**
 * `npm run bench:replica [-- --database-url URL] [--replica-url URL] [--seconds S] [--readers R] [--writers W]`:
 * what a read replica changes (#33 item 5), on a seeded benchmark database and a streaming standby
 * of it (any PostgreSQL standby; on Neon, a read replica). Two runs of the same mix, in-process
 * (the API's services, no HTTP): R readers asking the dashboards (`coverageDashboard` national and
 * by province, `retentionOutcomes`) while W writers pay contributions (`payContribution`):
 *  1. everything on the primary;
 *  2. the lag-tolerant reads on the replica (`lagTolerantReads`), the payments on the primary.
 * For each: dashboard calls/s and p50/p95, payments/s and p95, and the replica's replay lag.
 * Writes bench/RESULTS-REPLICA.md. Not part of `npm test`.
 */
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { connectNode } from "../scripts/node-database";
import type { Database } from "../src/db/client";
import type { Viewer } from "../src/modules/access/rules";
import { coverageDashboard, retentionOutcomes } from "../src/modules/dashboard/service";
import { payContribution } from "../src/modules/payments/service";
import { currentMonth, monthStart } from "../src/shared/calendar";
import { systemClock } from "../src/shared/clock";

const { values } = parseArgs({
  options: {
    "database-url": { type: "string" },
    "replica-url": { type: "string", default: "postgres://postgres@127.0.0.1:5434/bench" },
    seconds: { type: "string", default: "20" },
    readers: { type: "string", default: "4" },
    writers: { type: "string", default: "2" },
    out: { type: "string", default: fileURLToPath(new URL("RESULTS-REPLICA.md", import.meta.url)) },
  },
});
const url = values["database-url"] ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/bench";
const replicaUrl = values["replica-url"];
const seconds = Number(values.seconds);
const readers = Number(values.readers);
const writers = Number(values.writers);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
  console.log(line);
};

const primary = await connectNode(url);
const replica = await connectNode(replicaUrl);
const lagProbe = new pg.Pool({ connectionString: replicaUrl, max: 1 });
const admin: Viewer = { kind: "user", role: "ADMIN", subject: "bench-replica", scopes: new Set() };
const participants = Number(
  (
    (await primary.db.execute("select max(id)::text as n from participants" as never)) as unknown as {
      rows: { n: string }[];
    }
  ).rows[0]?.n ?? 0,
);

/** The first day of the month `back` months before this one (YYYY-MM-DD). */
const monthsBack = (back: number) => monthStart(currentMonth(new Date()) - back);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function run(label: string, lagTolerant: (() => Database) | undefined) {
  const deadline = performance.now() + seconds * 1000;
  const reads: number[] = [];
  const writes: number[] = [];
  let refused = 0;
  let maxLag = 0;
  const provinces = ["31", "32", "33", "35"];
  const reader = async (n: number) => {
    const ctx = { db: primary.db, viewer: admin, ...(lagTolerant ? { lagTolerant } : {}) };
    for (let i = n; performance.now() < deadline; i++) {
      const started = performance.now();
      const now = new Date();
      if (i % 3 === 0) await coverageDashboard(ctx, { asOf: now });
      else if (i % 3 === 1) await coverageDashboard(ctx, { asOf: now, regionCode: provinces[i % provinces.length] });
      else await retentionOutcomes(ctx, { from: monthsBack(12), to: monthsBack(1), asOf: now });
      reads.push(performance.now() - started);
    }
  };
  const writer = async (n: number) => {
    const ctx = { db: primary.db, viewer: admin, requestId: "bench-replica", clock: systemClock };
    for (let i = 0; performance.now() < deadline; i++) {
      const started = performance.now();
      const result = await payContribution(ctx, {
        participantId: 1 + Math.floor(Math.random() * participants),
        months: 1,
        channel: "BRIVA",
        idempotencyKey: `bench-replica-${label}-${n}-${i}-${Date.now()}`,
      });
      if (result.payment) writes.push(performance.now() - started);
      else refused += 1;
    }
  };
  const lag = async () => {
    while (performance.now() < deadline) {
      const { rows } = await lagProbe.query<{ lag: number | null }>(
        "select extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000 as lag",
      );
      maxLag = Math.max(maxLag, Number(rows[0]?.lag ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  await Promise.all([
    ...Array.from({ length: readers }, (_, n) => reader(n)),
    ...Array.from({ length: writers }, (_, n) => writer(n)),
    lag(),
  ]);
  reads.sort((a, b) => a - b);
  writes.sort((a, b) => a - b);
  return {
    label,
    readsPerSecond: reads.length / seconds,
    readP50: percentile(reads, 0.5),
    readP95: percentile(reads, 0.95),
    writesPerSecond: writes.length / seconds,
    writeP95: percentile(writes, 0.95),
    refused,
    maxLag,
  };
}

log(`# A read replica for the dashboards (#33 item 5)`);
log("");
log(
  `Run ${new Date().toISOString()} on ${new URL(url).pathname.slice(1)} (${participants.toLocaleString("en")} participants) and its streaming standby at ${new URL(replicaUrl).host}: ${cpus().length} cores shared by the primary, the standby and this process; load average ${load()} at the start. ${readers} readers (national dashboard, a province's dashboard, national retention outcomes, in turn) and ${writers} writers (payContribution for random participants) for ${seconds} s per run, in-process against PostgreSQL 15.`,
);
log("");
// Warm both servers' caches with one pass of each read.
await run("warm-up", undefined);
const results = [await run("primary", undefined), await run("replica", () => replica.db)];
log("| run | dashboard calls/s | dashboard p50 | dashboard p95 | payments/s | payment p95 | standby lag (max) |");
log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of results)
  log(
    `| ${r.label === "primary" ? "everything on the primary" : "dashboards on the replica"} | ${r.readsPerSecond.toFixed(0)} | ${r.readP50.toFixed(1)} ms | ${r.readP95.toFixed(1)} ms | ${r.writesPerSecond.toFixed(0)} | ${r.writeP95.toFixed(1)} ms | ${r.maxLag.toFixed(0)} ms |`,
  );
log("");
log(`Load average ${load()} at the end.`);
await writeFile(values.out, `${lines.join("\n")}\n`);
await Promise.all([primary.close(), replica.close(), lagProbe.end()]);
