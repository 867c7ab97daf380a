/**
 * `npm run bench:partitions [-- --database-url URL] [--out FILE]`: the tables that grow by design
 * (#33 item 3) on a seeded benchmark database migrated up to the release before them (seed it with
 * `npm run bench -- --scale N --seed-only` from that release's checkout):
 *  1. applies the pending migrations (partitioning payments, the outbox and the audit log, keying retention
 *     outcomes by regency) while two probes keep writing and reading, one statement every 20 ms:
 *     the longest a probe waited is the longest any request would have;
 *  2. checks what the hand-out of retention outcomes to regencies must keep: every scope's figure
 *     for every month the same before and after, and no counts left unattributed;
 *  3. EXPLAIN ANALYZE of the statements that read the partitioned tables: which partitions each
 *     read, and how long it took;
 *  4. the daily job's upkeep steps and the retention outcomes' proofs by regency, timed.
 * Writes bench/RESULTS-PARTITIONS.md. Not part of `npm test`.
 */
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrationsFolder } from "../scripts/migrate";
import { connectNode } from "../scripts/node-database";
import { dailyJobSteps } from "../src/daily-job";
import { runJobSteps } from "../src/modules/jobs/service";

const { values } = parseArgs({
  options: {
    "database-url": { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("RESULTS-PARTITIONS.md", import.meta.url)) },
  },
});
const url = values["database-url"] ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/bench";
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
  console.log(line);
};
const pool = new pg.Pool({ connectionString: url, max: 4 });
const one = async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows[0] as T;

const participants = Number((await one<{ n: string }>("select count(*) as n from participants")).n);
const paymentCount = Number((await one<{ n: string }>("select count(*) as n from payments")).n);
log(`# Partitioned tables at ${participants.toLocaleString("en")} participants (#33 item 3)`);
log("");
log(
  `Run ${new Date().toISOString()} on ${new URL(url).pathname.slice(1)}: ${participants.toLocaleString("en")} participants, ${paymentCount.toLocaleString("en")} payments. 2 cores; load average ${load()} at the start. PostgreSQL 15 at 127.0.0.1, probes and migrations from one Node process.`,
);
log("");

// 1. Migrations under probes.
type Outcomes = Map<string, string>;
async function outcomeFigures(): Promise<Outcomes> {
  const { rows } = await pool.query<{ key: string; figures: string }>(`
    select scope || '/' || scope_key || '/' || month as key,
           concat_ws(',', sum(entered), sum(entered_with_outreach), sum(recovered), sum(recovered_with_outreach), sum(lapsed), sum(won_back)) as figures
    from retention_outcome_rollups group by scope, scope_key, month
    having (sum(entered), sum(entered_with_outreach), sum(recovered), sum(recovered_with_outreach), sum(lapsed), sum(won_back)) <> (0, 0, 0, 0, 0, 0)`);
  return new Map(rows.map((row) => [row.key, row.figures]));
}
const before = await outcomeFigures();

const probes = { write: [] as { at: number; ms: number }[], read: [] as { at: number; ms: number }[] };
let probing = true;
const maxPayment = Number((await one<{ n: string }>("select max(id) as n from payments")).n);
async function probe(kind: "write" | "read", statement: () => [string, unknown[]]) {
  const client = await pool.connect();
  try {
    while (probing) {
      const started = performance.now();
      const [text, params] = statement();
      await client.query(text, params);
      probes[kind].push({ at: started, ms: performance.now() - started });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    client.release();
  }
}
const randomPayment = () => 1 + Math.floor(Math.random() * maxPayment);
const probing1 = probe("write", () => [
  // A settlement-sized write: a payment row updated, its event and its audit row written.
  `with touched as (update payments set external_reference = external_reference where id = $1 returning id),
   event as (insert into outbox_events (type, version, data, occurred_at) select 'bench.probe', 1, '{}', now() from touched)
   insert into audit_log (occurred_at, operation, target_ids, outcome) select now(), 'benchProbe', array['payment:' || id], 'SUCCEEDED' from touched`,
  [randomPayment()],
]);
const probing2 = probe("read", () => ["select * from payments where id = $1", [randomPayment()]]);

const migrations: { name: string; ms: number; from: number; to: number }[] = [];
const connection = await connectNode(url);
let last = performance.now();
await connection.migrate(migrationsFolder, (line) => {
  const now = performance.now();
  const applied = /^applied (\S+) in (\d+) ms/.exec(line);
  if (applied) migrations.push({ name: applied[1] ?? "", ms: Number(applied[2]), from: last, to: now });
  last = now;
});
probing = false;
await Promise.all([probing1, probing2]);
const worst = (kind: "write" | "read", from: number, to: number) =>
  Math.max(0, ...probes[kind].filter((p) => p.at >= from - 1 && p.at <= to).map((p) => p.ms));
log("## Migrations while requests go on");
log("");
log(
  `Each migration applied by the migrator (\`npm run db:migrate\`) while a write probe (a payment updated, an event and an audit row written) and a read probe (a payment by id) each ran one statement every 20 ms on their own connections: the longest a probe statement took is the longest a request would have waited. ${probes.write.length} writes, ${probes.read.length} reads in all.`,
);
log("");
log("| migration | took | longest write | longest read |\n| --- | --- | --- | --- |");
for (const m of migrations)
  log(
    `| \`${m.name}\` | ${(m.ms / 1000).toFixed(2)} s | ${worst("write", m.from, m.to).toFixed(0)} ms | ${worst("read", m.from, m.to).toFixed(0)} ms |`,
  );
log("");

// 2. The hand-out of retention outcomes.
const after = await outcomeFigures();
const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key));
const unattributed = Number(
  (await one<{ n: string }>("select count(*) as n from retention_outcome_rollups where regency_code = ''")).n,
);
log("## Retention outcomes handed to their regencies");
log("");
log(
  `${before.size.toLocaleString("en")} scope-months with figures before, ${after.size.toLocaleString("en")} after; **${changed.length}** differ; rows left under '' (everywhere): **${unattributed}**.`,
);
log("");

// 3. Which partitions each read touches.
interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Loops"?: number;
  "Subplans Removed"?: number;
  Plans?: PlanNode[];
}
function scanned(node: PlanNode, found: Set<string>, removed: { n: number }) {
  if (node["Relation Name"] && (node["Actual Loops"] ?? 0) > 0) found.add(node["Relation Name"]);
  removed.n += node["Subplans Removed"] ?? 0;
  for (const child of node.Plans ?? []) scanned(child, found, removed);
}
const somePayment = await one<{ id: string; participant_id: string; created_at: Date }>(
  "select id, participant_id, created_at from payments order by id desc limit 1",
);
const someKey = await one<{ idempotency_scope: string; idempotency_key: string } | undefined>(
  "select idempotency_scope, idempotency_key from payment_keys order by created_at desc limit 1",
);
const paymentPartitions = Number(
  (await one<{ n: string }>("select count(*) as n from pg_inherits where inhparent = 'payments'::regclass")).n,
);
const auditPartitions = Number(
  (await one<{ n: string }>("select count(*) as n from pg_inherits where inhparent = 'audit_log'::regclass")).n,
);
const reads: [string, string, unknown[]][] = [
  ["a payment by id (settlement, lookups)", "select * from payments where id = $1", [somePayment.id]],
  [
    "a participant's latest payments",
    "select * from payments where participant_id = $1 order by created_at desc, id desc limit 20",
    [somePayment.participant_id],
  ],
  [
    "a payment by its idempotency key (replay)",
    "select * from payments where id = (select payment_id from payment_keys where idempotency_scope = $1 and idempotency_key = $2)",
    [someKey?.idempotency_scope ?? "", someKey?.idempotency_key ?? ""],
  ],
  [
    "a participant's covered months with their payments (refund, history)",
    "select c.month, p.amount, p.settled_at from covered_months c join payments p on p.id = c.payment_id where c.participant_id = $1",
    [somePayment.participant_id],
  ],
  [
    "pending payments older than a day (channel reconciliation)",
    "select id from payments where status = 'PENDING' and created_at < $1::timestamptz - interval '1 day' order by created_at limit 100",
    [somePayment.created_at],
  ],
  [
    "audit rows of one month",
    "select count(*) from audit_log where occurred_at >= date_trunc('month', now()) and occurred_at < date_trunc('month', now()) + interval '1 month'",
    [],
  ],
  [
    "audit rows naming one payment",
    "select * from audit_log where target_ids @> array['payment:' || $1::text]",
    [somePayment.id],
  ],
];
log("## Which partitions each read touches");
log("");
log(
  `payments has ${paymentPartitions} partitions (ids in ranges of 50 M), the audit log ${auditPartitions} (months, a default partition). EXPLAIN (ANALYZE) of each statement as the API sends it, after one warm-up: the partitions it scanned (pruned at plan or at run time) and its execution time.`,
);
log("");
log("| read | partitions scanned | execution |\n| --- | --- | --- |");
const plans: Record<string, unknown> = {};
for (const [label, text, params] of reads) {
  await pool.query(text, params);
  const { rows } = await pool.query<{ "QUERY PLAN": { Plan: PlanNode; "Execution Time": number }[] }>(
    `explain (analyze, format json) ${text}`,
    params,
  );
  const [plan] = rows[0]?.["QUERY PLAN"] ?? [];
  if (!plan) continue;
  const found = new Set<string>();
  const removed = { n: 0 };
  scanned(plan.Plan, found, removed);
  const touched = [...found].filter((name) => /^(payments|audit_log)/.test(name));
  plans[label] = plan;
  log(
    `| ${label} | ${touched.join(", ") || "(none)"}${removed.n > 0 ? ` (${removed.n} removed at run time)` : ""} | ${plan["Execution Time"].toFixed(2)} ms |`,
  );
}
log("");

// 4. The upkeep steps and the regency proofs.
const db = connection.db;
const now = new Date();
const steps = (await dailyJobSteps(db, now, { everyShard: true })).filter(
  (step) =>
    step.name.startsWith("payments:") ||
    step.name.startsWith("outbox:") ||
    step.name.startsWith("audit:") ||
    step.name.startsWith("verify:retention_outcome_rollups:"),
);
const timings: { step: string; ms: number; result: unknown }[] = [];
await runJobSteps(db, {
  job: "bench-partitions",
  runKey: now.toISOString(),
  steps: steps.map((step) => ({
    name: step.name,
    run: async (tx) => {
      const started = performance.now();
      const result = await step.run(tx);
      timings.push({ step: step.name, ms: performance.now() - started, result });
      return result;
    },
  })),
  budgetMs: Number.POSITIVE_INFINITY,
  elapsedMs: () => 0,
  finishedAt: () => new Date().toISOString(),
});
const outcomeSteps = timings.filter((t) => t.step.startsWith("verify:retention_outcome_rollups:"));
const slowest = outcomeSteps.reduce(
  (a, b) => (b.ms > a.ms ? b : a),
  outcomeSteps[0] ?? { step: "", ms: 0, result: null },
);
log("## The daily job's steps for them");
log("");
log("| step | took | reported |\n| --- | --- | --- |");
for (const t of timings.filter((t) => !t.step.startsWith("verify:")))
  log(`| \`${t.step}\` | ${(t.ms / 1000).toFixed(2)} s | \`${JSON.stringify(t.result)}\` |`);
log(
  `| \`verify:retention_outcome_rollups:<regency>\` × ${outcomeSteps.length} | ${(outcomeSteps.reduce((s, t) => s + t.ms, 0) / 1000).toFixed(1)} s in all, the longest ${(slowest.ms / 1000).toFixed(2)} s (\`${slowest.step}\`) | drift ${outcomeSteps.reduce((s, t) => s + Number((t.result as { drift?: number }).drift ?? 0), 0)} |`,
);
log("");
log(`Load average ${load()} at the end.`);
await writeFile(values.out, `${lines.join("\n")}\n`);
await writeFile(values.out.replace(/\.md$/, ".plans.json"), `${JSON.stringify(plans, null, 2)}\n`);
await connection.close();
await pool.end();
