import { and, desc, eq, inArray, isNotNull, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database, Executor, Transaction } from "../../db/client";
import type { AuthenticatedViewer, Role, Scope } from "../access/rules";
import { apiKeys } from "../credentials/tables";
import { outboxEvents } from "../outbox/tables";
import { participants } from "../participants/tables";
import { type WebhookDeliveryStatus, webhookAttempts, webhookDeliveries, webhookEndpoints } from "./tables";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;
export type OutboxRow = typeof outboxEvents.$inferSelect;

/** The caller an endpoint acts as when deciding what it may receive: its owner, as they were when it was made. */
export function ownerOf(endpoint: EndpointRow): AuthenticatedViewer {
  return {
    kind: "user",
    role: endpoint.ownerRole as Role,
    subject: endpoint.ownerSubject,
    scopes: new Set(endpoint.ownerScopes as Scope[]),
    ...(endpoint.ownerRegionCode ? { regionCode: endpoint.ownerRegionCode } : {}),
    ...(endpoint.ownerSponsorId ? { sponsorId: endpoint.ownerSponsorId } : {}),
    ...(endpoint.ownerParticipantId ? { participantId: endpoint.ownerParticipantId } : {}),
    ...(endpoint.ownerApiKeyId ? { apiKeyId: endpoint.ownerApiKeyId } : {}),
  };
}

export async function insertEndpoint(tx: Executor, row: typeof webhookEndpoints.$inferInsert): Promise<EndpointRow> {
  const [created] = await tx.insert(webhookEndpoints).values(row).returning();
  if (!created) throw new Error("endpoint insert returned nothing");
  return created;
}

/** Endpoints a caller manages: their own; every one for ADMIN. Deleted ones are gone. */
function managedBy(viewer: AuthenticatedViewer): SQL {
  const live = isNull(webhookEndpoints.deletedAt);
  return viewer.role === "ADMIN" ? live : (and(live, eq(webhookEndpoints.ownerSubject, viewer.subject)) ?? sql`false`);
}

export async function findManagedEndpoint(
  db: Executor,
  viewer: AuthenticatedViewer,
  id: number,
  lock = false,
): Promise<EndpointRow | null> {
  const query = db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), managedBy(viewer)));
  const [row] = lock ? await query.for("update") : await query;
  return row ?? null;
}

export function listManagedEndpoints(db: Executor, viewer: AuthenticatedViewer, limit: number) {
  return db.select().from(webhookEndpoints).where(managedBy(viewer)).orderBy(desc(webhookEndpoints.id)).limit(limit);
}

/**
 * Holds the owner's API key row until the transaction ends, so two creations by one owner take
 * turns: the count the cap is checked against cannot change between the count and the insert.
 */
export async function lockEndpointOwner(tx: Executor, apiKeyId: number): Promise<void> {
  await tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, apiKeyId)).for("update");
}

export async function countManagedEndpoints(db: Executor, viewer: AuthenticatedViewer): Promise<number> {
  return db.$count(webhookEndpoints, managedBy(viewer));
}

export async function updateEndpoint(
  tx: Executor,
  id: number,
  changes: { [K in keyof typeof webhookEndpoints.$inferInsert]?: (typeof webhookEndpoints.$inferInsert)[K] | SQL },
): Promise<EndpointRow> {
  const [row] = await tx.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, id)).returning();
  if (!row) throw new Error(`endpoint ${id} vanished`);
  return row;
}

/** Deliveries held while an endpoint was paused go back to the queue when it resumes. */
export async function releaseHeldDeliveries(tx: Executor, endpointId: number): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({ status: "PENDING", queuedAt: null, attempts: 0 })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, "HELD")));
}

export interface DeliveryFilter {
  endpointId?: number | null;
  eventType?: string | null;
  status?: WebhookDeliveryStatus | null;
}

/** Deliveries of the endpoints a caller manages, newest first, keyset-paged by id. */
export function listDeliveries(
  db: Executor,
  viewer: AuthenticatedViewer,
  filter: DeliveryFilter,
  page: { before?: number | null; limit: number },
) {
  return db
    .select({ delivery: webhookDeliveries })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        viewer.role === "ADMIN" ? undefined : eq(webhookEndpoints.ownerSubject, viewer.subject),
        filter.endpointId ? eq(webhookDeliveries.endpointId, filter.endpointId) : undefined,
        filter.eventType ? eq(webhookDeliveries.eventType, filter.eventType) : undefined,
        filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
        page.before ? lt(webhookDeliveries.id, page.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(page.limit);
}

export async function findManagedDelivery(
  db: Executor,
  viewer: AuthenticatedViewer,
  id: number,
): Promise<DeliveryRow | null> {
  const [row] = await db
    .select({ delivery: webhookDeliveries })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.id, id), managedBy(viewer)));
  return row?.delivery ?? null;
}

/** Back on the queue with a fresh schedule; the `webhook-id` stays the event's. */
export async function requeueDelivery(tx: Executor, id: number): Promise<DeliveryRow> {
  const [row] = await tx
    .update(webhookDeliveries)
    .set({ status: "PENDING", queuedAt: null, attempts: 0, leasedUntil: null })
    .where(eq(webhookDeliveries.id, id))
    .returning();
  if (!row) throw new Error(`delivery ${id} vanished`);
  return row;
}

export function attemptsOf(db: Executor, deliveryIds: number[]) {
  if (deliveryIds.length === 0) return Promise.resolve([] as AttemptRow[]);
  return db
    .select()
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, deliveryIds))
    .orderBy(webhookAttempts.id);
}

// ---- relay ----

/** The oldest unrelayed events, locked so that concurrent relays take disjoint rows. */
export function lockUnrelayedEvents(tx: Transaction, limit: number) {
  return tx
    .select()
    .from(outboxEvents)
    .where(isNull(outboxEvents.relayedAt))
    .orderBy(outboxEvents.id)
    .limit(limit)
    .for("update", { skipLocked: true });
}

/**
 * Events since `since`, after event `afterId`, in id order, narrowed in SQL to what one endpoint
 * could receive: its event types, its payment-due lead time, and events about a worker in
 * `workers` (the participants it covers) or about a sponsor (judged by the caller in code).
 */
export function candidateEventsSince(
  db: Executor,
  since: string,
  afterId: number,
  limit: number,
  narrowing: { eventTypes: readonly string[]; paymentDueDays: number; workers: SQL },
) {
  return db
    .select()
    .from(outboxEvents)
    .where(
      and(
        sql`${outboxEvents.occurredAt} >= ${since}`,
        sql`${outboxEvents.id} > ${afterId}`,
        inArray(outboxEvents.type, [...narrowing.eventTypes]),
        sql`(${outboxEvents.type} <> 'participant.payment_due' or ${outboxEvents.data}->>'daysBefore' = ${String(narrowing.paymentDueDays)})`,
        or(
          sql`${outboxEvents.participantId} in (select ${participants.id} from ${participants} where ${narrowing.workers})`,
          and(isNull(outboxEvents.participantId), isNotNull(outboxEvents.sponsorId)),
        ),
      ),
    )
    .orderBy(outboxEvents.id)
    .limit(limit);
}

export async function markRelayed(tx: Transaction, ids: number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.update(outboxEvents).set({ relayedAt: at.toISOString() }).where(inArray(outboxEvents.id, ids));
}

/** An endpoint that may still receive events: not deleted, and its owner key (if any) not revoked. */
function receivesEvents(): SQL {
  return (
    and(isNull(webhookEndpoints.deletedAt), or(isNull(webhookEndpoints.ownerApiKeyId), isNull(apiKeys.revokedAt))) ??
    sql`false`
  );
}

/**
 * Whether an event is still owed to a partner, past the retention, so it and its partition are kept
 * (`pruneEvents`, `retireEventPartitions`): a delivery of it PENDING or FAILED (its retries still to
 * come, within a day) to an endpoint that still receives events. A deleted endpoint's or a revoked
 * key's delivery never goes out; a paused endpoint's HELD ones are kept for the retention like any
 * event, not beyond, or one paused partner would stop the outbox's retention for everyone.
 * `events` says which deliveries, on the alias `d` of webhook_deliveries.
 */
export function stillOwed(events: SQL): SQL {
  return sql`exists (select 1 from webhook_deliveries d
    join ${webhookEndpoints} on ${webhookEndpoints.id} = d.endpoint_id
    left join ${apiKeys} on ${apiKeys.id} = ${webhookEndpoints.ownerApiKeyId}
    where ${events} and d.status in ('PENDING', 'FAILED') and ${receivesEvents()})`;
}

/**
 * Endpoints that may still receive events (`receivesEvents`). Paused endpoints are included: their
 * deliveries are held until they resume.
 */
export async function subscribedEndpoints(db: Executor): Promise<EndpointRow[]> {
  const rows = await db
    .select({ endpoint: webhookEndpoints })
    .from(webhookEndpoints)
    .leftJoin(apiKeys, eq(apiKeys.id, webhookEndpoints.ownerApiKeyId))
    .where(receivesEvents());
  return rows.map((row) => row.endpoint);
}

/** Of these participants, the ones matching `condition` (the endpoint owner's visibility and narrowing). */
export async function participantsMatching(db: Executor, ids: number[], condition: SQL): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: participants.id })
    .from(participants)
    .where(and(inArray(participants.id, ids), condition));
  return new Set(rows.map((row) => row.id));
}

/**
 * New deliveries; with `again`, existing ones (a replay) go back to PENDING with a fresh schedule.
 */
export async function upsertDeliveries(
  db: Executor,
  rows: (typeof webhookDeliveries.$inferInsert)[],
  again = false,
): Promise<number> {
  let count = 0;
  for (let i = 0; i < rows.length; i += 1_000) {
    const chunk = rows.slice(i, i + 1_000);
    const insert = db.insert(webhookDeliveries).values(chunk);
    const done = again
      ? await insert
          .onConflictDoUpdate({
            target: [webhookDeliveries.endpointId, webhookDeliveries.eventId],
            set: { status: sql`excluded.status`, queuedAt: null, attempts: 0, leasedUntil: null },
          })
          .returning({ id: webhookDeliveries.id })
      : await insert.onConflictDoNothing().returning({ id: webhookDeliveries.id });
    count += done.length;
  }
  return count;
}

export function lockUnqueuedDeliveries(tx: Transaction, limit: number) {
  return tx
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(isNull(webhookDeliveries.queuedAt), eq(webhookDeliveries.status, "PENDING")))
    .orderBy(webhookDeliveries.id)
    .limit(limit)
    .for("update", { skipLocked: true });
}

export async function markQueued(tx: Transaction, ids: number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.update(webhookDeliveries).set({ queuedAt: at.toISOString() }).where(inArray(webhookDeliveries.id, ids));
}

// ---- consumer ----

/**
 * Takes a delivery for one attempt: only if it is still to be delivered and no other consumer
 * holds it (a duplicate message, or a redelivery racing a retry).
 */
export async function claimDelivery(
  db: Executor,
  id: number,
  leaseSeconds: number,
  now: Date,
): Promise<DeliveryRow | null> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ leasedUntil: new Date(now.getTime() + leaseSeconds * 1000).toISOString() })
    .where(
      and(
        eq(webhookDeliveries.id, id),
        inArray(webhookDeliveries.status, ["PENDING", "FAILED"]),
        or(isNull(webhookDeliveries.leasedUntil), lt(webhookDeliveries.leasedUntil, now.toISOString())),
      ),
    )
    .returning();
  return row ?? null;
}

/** Why a delivery could not be claimed: finished (or held), or leased by an attempt still running. */
export async function deliveryState(db: Executor, id: number): Promise<WebhookDeliveryStatus | null> {
  const [row] = await db
    .select({ status: webhookDeliveries.status })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, id));
  return row?.status ?? null;
}

export async function releaseLease(db: Executor, id: number): Promise<void> {
  await db.update(webhookDeliveries).set({ leasedUntil: null }).where(eq(webhookDeliveries.id, id));
}

/**
 * The endpoint a delivery goes to, read again before every attempt: null once it is deleted or its
 * owner's key revoked, so a retry already on the queue, or a held delivery released later, stops
 * there instead of running its course.
 */
export async function findDeliverableEndpoint(db: Executor, id: number): Promise<EndpointRow | null> {
  const [row] = await db
    .select({ endpoint: webhookEndpoints })
    .from(webhookEndpoints)
    .leftJoin(apiKeys, eq(apiKeys.id, webhookEndpoints.ownerApiKeyId))
    .where(and(eq(webhookEndpoints.id, id), receivesEvents()));
  return row?.endpoint ?? null;
}

export async function findEvent(db: Executor, id: number): Promise<OutboxRow | null> {
  const [row] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, id));
  return row ?? null;
}

/** An earlier event about the same worker still on its way to this endpoint, if any. */
export async function earlierStillOpen(
  db: Executor,
  delivery: DeliveryRow,
): Promise<{ status: WebhookDeliveryStatus; attempts: number; lastAttemptAt: string | null } | null> {
  if (delivery.participantId === null) return null;
  const [row] = await db
    .select({
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastAttemptAt: webhookDeliveries.lastAttemptAt,
    })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, delivery.endpointId),
        eq(webhookDeliveries.participantId, delivery.participantId),
        lt(webhookDeliveries.eventId, delivery.eventId),
        inArray(webhookDeliveries.status, ["PENDING", "FAILED", "HELD"]),
      ),
    )
    .orderBy(webhookDeliveries.eventId)
    .limit(1);
  return row ?? null;
}

export async function recordAttempt(
  db: Database,
  attempt: typeof webhookAttempts.$inferInsert,
  delivery: Partial<typeof webhookDeliveries.$inferInsert>,
  endpoint: { id: number; succeeded: boolean },
): Promise<{ consecutiveFailures: number }> {
  return db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values(attempt);
    await tx
      .update(webhookDeliveries)
      .set({ ...delivery, leasedUntil: null })
      .where(eq(webhookDeliveries.id, attempt.deliveryId));
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        consecutiveFailures: endpoint.succeeded ? 0 : sql`${webhookEndpoints.consecutiveFailures} + 1`,
      })
      .where(eq(webhookEndpoints.id, endpoint.id))
      .returning({ consecutiveFailures: webhookEndpoints.consecutiveFailures });
    return { consecutiveFailures: row?.consecutiveFailures ?? 0 };
  });
}

export async function holdDelivery(db: Executor, id: number): Promise<void> {
  await db.update(webhookDeliveries).set({ status: "HELD", leasedUntil: null }).where(eq(webhookDeliveries.id, id));
}

/** Pauses an endpoint that keeps failing (once: a paused one keeps its first reason). */
export async function autoPause(db: Executor, id: number, reason: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(webhookEndpoints)
    .set({ status: "PAUSED", pausedReason: reason, pausedAt: at.toISOString() })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.status, "ACTIVE")))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}
