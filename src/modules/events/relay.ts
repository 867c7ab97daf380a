/**
 * The relay: outbox → deliveries → queue. Two steps, each its own transaction, so that a crash at
 * any point loses nothing:
 *  1. fan out: unrelayed events become one delivery per subscribed endpoint that may read them,
 *     and are marked relayed, in one transaction (no effect outside the database);
 *  2. enqueue: deliveries not yet on the queue are sent, then marked queued; if the process dies
 *     after sending and before the commit they are sent again, and the consumer, finding them
 *     delivered or taken, acknowledges the duplicate.
 */
import { and, type SQL, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client";
import type { EventType } from "../outbox/event-types";
import { participantConditions, participantVisibility } from "../participants/conditions";
import { participants } from "../participants/tables";
import { canSeeSponsor } from "../sponsors/conditions";
import type { DeliveryMessage, QueueProducer } from "./queue";
import { SEND_BATCH_LIMIT } from "./queue";
import {
  candidateEventsSince,
  type EndpointRow,
  lockUnqueuedDeliveries,
  lockUnrelayedEvents,
  markQueued,
  markRelayed,
  type OutboxRow,
  ownerOf,
  participantsMatching,
  subscribedEndpoints,
  upsertDeliveries,
} from "./store";
import type { webhookDeliveries } from "./tables";

/** The workers an endpoint covers: what its owner may read, narrowed by its region and sponsor. */
function coveredWorkers(endpoint: EndpointRow, now: Date): SQL {
  return (
    and(
      participantVisibility(participants, ownerOf(endpoint)),
      participantConditions(participants, { regionCode: endpoint.regionCode, sponsorId: endpoint.sponsorId }, now),
    ) ?? sql`false`
  );
}

function wants(endpoint: EndpointRow, event: OutboxRow): boolean {
  if (!endpoint.eventTypes.includes(event.type)) return false;
  if (event.type === ("participant.payment_due" satisfies EventType)) {
    return Number(event.data.daysBefore) === endpoint.paymentDueDays;
  }
  return true;
}

/** The deliveries these events make for these endpoints; only events about workers (or sponsors) each may read. */
export async function deliveriesFor(
  db: Executor,
  endpoints: readonly EndpointRow[],
  events: readonly OutboxRow[],
  now: Date,
): Promise<(typeof webhookDeliveries.$inferInsert)[]> {
  const rows: (typeof webhookDeliveries.$inferInsert)[] = [];
  for (const endpoint of endpoints) {
    const wanted = events.filter((event) => wants(endpoint, event));
    if (wanted.length === 0) continue;
    const workerIds = [...new Set(wanted.flatMap((event) => (event.participantId ? [event.participantId] : [])))];
    const visible = await participantsMatching(db, workerIds, coveredWorkers(endpoint, now));
    const owner = ownerOf(endpoint);
    for (const event of wanted) {
      const readable =
        event.participantId !== null
          ? visible.has(event.participantId)
          : event.sponsorId !== null &&
            canSeeSponsor(owner, event.sponsorId) &&
            (endpoint.sponsorId === null || endpoint.sponsorId === event.sponsorId) &&
            endpoint.regionCode === null;
      if (!readable) continue;
      rows.push({
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        participantId: event.participantId,
        status: endpoint.status === "PAUSED" ? "HELD" : "PENDING",
        createdAt: now.toISOString(),
      });
    }
  }
  return rows;
}

/** Events read per statement while a replay counts what it would send. */
const REPLAY_PAGE = 2_000;

/**
 * The deliveries a replay since `since` makes for one endpoint: every event it subscribes to and
 * may read (what it would have received), at most `limit + 1` of them, one more than a replay
 * sends telling the caller there are too many. Events about what the endpoint may not read are
 * neither counted nor seen: others' volume decides nothing and shows through nothing.
 */
export async function replayDeliveries(
  db: Executor,
  endpoint: EndpointRow,
  since: string,
  limit: number,
  now: Date,
): Promise<(typeof webhookDeliveries.$inferInsert)[]> {
  const rows: (typeof webhookDeliveries.$inferInsert)[] = [];
  const narrowing = {
    eventTypes: endpoint.eventTypes,
    paymentDueDays: endpoint.paymentDueDays,
    workers: coveredWorkers(endpoint, now),
  };
  let afterId = 0;
  for (;;) {
    const events = await candidateEventsSince(db, since, afterId, REPLAY_PAGE, narrowing);
    // The SQL narrows; `deliveriesFor` still decides, with the same rules as the relay.
    rows.push(...(await deliveriesFor(db, [endpoint], events, now)));
    const last = events.at(-1);
    if (rows.length > limit || events.length < REPLAY_PAGE || !last) break;
    afterId = last.id;
  }
  return rows.slice(0, limit + 1);
}

export interface RelayReport {
  events: number;
  deliveries: number;
  queued: number;
}

/** Step 1 for one batch of events; returns how many events it relayed. */
export async function fanOut(
  db: Database,
  now: Date,
  batchSize = 500,
): Promise<{ events: number; deliveries: number }> {
  return db.transaction(async (tx) => {
    const events = await lockUnrelayedEvents(tx, batchSize);
    if (events.length === 0) return { events: 0, deliveries: 0 };
    const endpoints = await subscribedEndpoints(tx);
    const deliveries = await upsertDeliveries(tx, await deliveriesFor(tx, endpoints, events, now));
    await markRelayed(
      tx,
      events.map((event) => event.id),
      now,
    );
    return { events: events.length, deliveries };
  });
}

/** Step 2 for one batch of deliveries; returns how many it put on the queue. */
export async function enqueue(
  db: Database,
  queue: QueueProducer<DeliveryMessage>,
  now: Date,
  batchSize = 500,
): Promise<number> {
  return db.transaction(async (tx) => {
    const ready = await lockUnqueuedDeliveries(tx, batchSize);
    for (let i = 0; i < ready.length; i += SEND_BATCH_LIMIT) {
      await queue.sendBatch(ready.slice(i, i + SEND_BATCH_LIMIT).map((row) => ({ body: { deliveryId: row.id } })));
    }
    await markQueued(
      tx,
      ready.map((row) => row.id),
      now,
    );
    return ready.length;
  });
}

/** Relays until the outbox and the unqueued deliveries are empty, or `maxRounds` batches ran. */
export async function relayOutbox(
  db: Database,
  queue: QueueProducer<DeliveryMessage>,
  options: { now: Date; batchSize?: number; maxRounds?: number },
): Promise<RelayReport> {
  const report: RelayReport = { events: 0, deliveries: 0, queued: 0 };
  const batchSize = options.batchSize ?? 500;
  for (let round = 0; round < (options.maxRounds ?? 100); round++) {
    const fanned = await fanOut(db, options.now, batchSize);
    const queued = await enqueue(db, queue, options.now, batchSize);
    report.events += fanned.events;
    report.deliveries += fanned.deliveries;
    report.queued += queued;
    if (fanned.events < batchSize && queued < batchSize) break;
  }
  return report;
}
