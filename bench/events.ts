/**
 * `npm run bench:events [-- --settlements N] [--concurrency C] [--database-url URL]`
 * Partner events under load, on a real PostgreSQL (default postgres://postgres@127.0.0.1:5432/bench_events):
 *  1. settlement throughput without the outbox (its inserts turned into no-ops by a rule), then with it;
 *  2. with events on, the relay and queue consumers run alongside, delivering signed webhooks to a
 *     local HTTP receiver: events per second, and commit → receiver lag (p50/p95/max).
 * Writes bench/RESULTS-EVENTS.md. Not part of `npm test`.
 */

import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { isNull, sql } from "drizzle-orm";
import { migrateDatabase } from "../scripts/migrate";
import { closeNodeProxy, connectNode } from "../scripts/node-database";
import { seedReferenceData } from "../scripts/seed/reference";
import type { Database } from "../src/db/client";
import { outboxEvents, participants, payments, webhookEndpoints } from "../src/db/tables";
import type { Viewer } from "../src/modules/access/rules";
import { contributionLines, totalOf } from "../src/modules/contributions/rules";
import { instant } from "../src/modules/events/catalogue";
import { deliverBatch } from "../src/modules/events/delivery";
import { InProcessQueue } from "../src/modules/events/memory-queue";
import type { DeliveryMessage } from "../src/modules/events/queue";
import { relayOutbox } from "../src/modules/events/relay";
import { newSigningSecret } from "../src/modules/events/signature";
import { settlePayment } from "../src/modules/payments/service";
import { systemClock } from "../src/shared/clock";

const { values } = parseArgs({
  options: {
    settlements: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "4" },
    consumers: { type: "string", default: "4" },
    "database-url": { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("./RESULTS-EVENTS.md", import.meta.url)) },
  },
});
const count = Number(values.settlements);
const concurrency = Number(values.concurrency);
const consumers = Number(values.consumers);
const url = values["database-url"] ?? process.env.BENCH_EVENTS_URL ?? "postgres://postgres@127.0.0.1:5432/bench_events";
const log = (line: string) => console.log(line);

async function freshDatabase() {
  const admin = new URL(url);
  const name = admin.pathname.slice(1).replaceAll('"', "");
  admin.pathname = "/postgres";
  const { db, close } = await connectNode(admin.toString());
  await db.execute(sql.raw(`drop database if exists "${name}" with (force)`));
  await db.execute(sql.raw(`create database "${name}"`));
  await close();
}

let serial = 0;
/** `count` BPU workers, each with one PENDING one-month payment, inserted in bulk. */
async function pendingPayments(db: Database, n: number): Promise<number[]> {
  const lines = contributionLines("BPU", ["JKK", "JKM"], 1_000_000n, "LOW", 1) ?? [];
  const ids: number[] = [];
  for (let start = 0; start < n; start += 1_000) {
    const size = Math.min(1_000, n - start);
    const workers = await db
      .insert(participants)
      .values(
        Array.from({ length: size }, () => {
          serial += 1;
          return {
            nik: `3171${String(serial).padStart(12, "0")}`,
            fullName: "Pekerja Bench",
            birthDate: "1990-01-01",
            sex: "MALE" as const,
            segment: "BPU" as const,
            occupation: "Nelayan",
            riskLevel: "LOW" as const,
            ecosystemCode: "VILLAGE" as const,
            villageCode: "31.71.01.1001",
            reportedMonthlyIncome: 1_000_000n,
            programs: ["JKK" as const, "JKM" as const],
            channel: "BENCH",
            // The bench measures real time: its rows are stamped by the system clock, as in production.
            registeredAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
          };
        }),
      )
      .returning({ id: participants.id });
    const rows = await db
      .insert(payments)
      .values(
        workers.map((worker) => ({
          participantId: worker.id,
          months: 1,
          coverageFrom: "2026-11-01",
          coverageThrough: "2026-11-01",
          amount: totalOf(lines),
          lines,
          payer: "SELF" as const,
          channel: "BRIVA",
          idempotencyScope: "bench",
          idempotencyKey: `bench-${worker.id}`,
          createdAt: new Date().toISOString(),
        })),
      )
      .returning({ id: payments.id });
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

const admin: Viewer = { kind: "user", role: "ADMIN", subject: "bench", scopes: new Set() };

/** Settles every payment through the service (row locks, coverage, audit, outbox), `concurrency` at a time. */
async function settleAll(db: Database, ids: number[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const paymentId = ids[next++] as number;
        const result = await settlePayment(
          { db, viewer: admin, requestId: "bench", clock: systemClock },
          { paymentId, outcome: "SETTLED", externalReference: `bench-${paymentId}` },
        );
        if (result.userErrors.length > 0) throw new Error(JSON.stringify(result.userErrors));
      }
    }),
  );
  return ids.length / ((performance.now() - started) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

await freshDatabase();
const main = await connectNode(url);
const worker = await connectNode(url);
await migrateDatabase(main);
await seedReferenceData(main.db);
log(`database ready: ${url}`);

// 1. Without events: the outbox's inserts do nothing (the services' code path is otherwise the same).
await main.db.execute(sql`create rule outbox_off as on insert to outbox_events do instead nothing`);
const warmup = await pendingPayments(main.db, 500);
await settleAll(main.db, warmup);
const withoutIds = await pendingPayments(main.db, count);
const without = await settleAll(main.db, withoutIds);
log(`settlements without events: ${without.toFixed(0)}/s`);
await main.db.execute(sql`drop rule outbox_off on outbox_events`);

// 2. With the outbox written, nothing relaying it yet: the cost of the events in the settling transaction.
const outboxIds = await pendingPayments(main.db, count);
const outboxOnly = await settleAll(main.db, outboxIds);
log(`settlements with the outbox written: ${outboxOnly.toFixed(0)}/s`);
await main.db.execute(sql`update outbox_events set relayed_at = now() where relayed_at is null`);

// 3. With events delivered while the settlements run (relay and consumers share the two cores).
const lags: number[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { timestamp: string };
    lags.push(Date.now() - instant(body.timestamp).getTime());
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
await main.db.insert(webhookEndpoints).values({
  url: receiverUrl,
  eventTypes: ["payment.settled", "participant.status_changed"],
  ownerSubject: "bench",
  ownerRole: "ADMIN",
  ownerScopes: [],
  secret: newSigningSecret(),
  createdAt: new Date().toISOString(),
});

const withIds = await pendingPayments(main.db, count);
const queue = new InProcessQueue<DeliveryMessage>("webhooks");
let settling = true;
const relayLoop = (async () => {
  while (settling || (await worker.db.$count(outboxEvents, isNull(outboxEvents.relayedAt))) > 0) {
    const report = await relayOutbox(worker.db, queue, { batchSize: 500, now: new Date() });
    if (report.events === 0 && report.queued === 0) await new Promise((r) => setTimeout(r, 20));
  }
})();
let relayDone = false;
const consumerLoops = Array.from({ length: consumers }, async () => {
  while (!relayDone || queue.size > 0) {
    if (queue.size === 0) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    const batch = queue.take(50);
    try {
      await deliverBatch({ db: worker.db, policy: undefined, log: () => {}, now: () => new Date() }, batch);
    } finally {
      batch.settle();
    }
  }
});
const eventsStart = performance.now();
const withEvents = await settleAll(main.db, withIds);
settling = false;
log(`settlements with events: ${withEvents.toFixed(0)}/s`);
await relayLoop;
relayDone = true;
await Promise.all(consumerLoops);
const eventsSeconds = (performance.now() - eventsStart) / 1000;
const delivered = lags.length;
lags.sort((a, b) => a - b);
const ratio = outboxOnly / without;
log(
  `events: ${delivered} delivered in ${eventsSeconds.toFixed(1)} s (${(delivered / eventsSeconds).toFixed(0)}/s), lag p50 ${percentile(lags, 50)} ms, p95 ${percentile(lags, 95)} ms, max ${lags.at(-1)} ms; ratio ${ratio.toFixed(3)}`,
);

const report = `# Partner events benchmark

\`npm run bench:events\` on ${new Date().toISOString().slice(0, 10)}: ${count.toLocaleString("en")} settlements through
\`settlePayment\` (${concurrency} at a time), real PostgreSQL at ${new URL(url).host}, 2 shared cores; the relay and
${consumers} queue consumers (in-process queue, the Worker's code) deliver to a local HTTP receiver in the same run.
Each settlement writes two events (\`payment.settled\`, \`participant.status_changed\` PENDING → ACTIVE).

| measure | value |
| --- | --- |
| settlements/s without events (outbox inserts a no-op rule) | ${without.toFixed(0)} |
| settlements/s with the outbox written (relay not running) | ${outboxOnly.toFixed(0)} |
| ratio, outbox written / without (target ≥ 0.95) | ${ratio.toFixed(3)} |
| settlements/s while the relay and consumers deliver on the same cores | ${withEvents.toFixed(0)} (${(withEvents / without).toFixed(3)} of without) |
| events delivered | ${delivered.toLocaleString("en")} |
| delivery throughput | ${(delivered / eventsSeconds).toFixed(0)} events/s over ${eventsSeconds.toFixed(1)} s |
| commit → receiver lag p50 / p95 / max | ${percentile(lags, 50)} / ${percentile(lags, 95)} / ${lags.at(-1)} ms |
`;
await writeFile(values.out, report);
receiver.close();
await main.close();
await worker.close();
await closeNodeProxy();
log(`wrote ${values.out}`);
