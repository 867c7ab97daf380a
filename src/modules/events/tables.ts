import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  unique,
  varchar,
} from "drizzle-orm/pg-core";
import { outboxEvents } from "../outbox/tables";

export const webhookEndpointStatuses = ["ACTIVE", "PAUSED"] as const;
export type WebhookEndpointStatus = (typeof webhookEndpointStatuses)[number];

/**
 * A subscriber's endpoint. It receives what its owner may read: the owner's role, scopes, region
 * and sponsor are kept with it (a partner key's, a sponsor's or an ADMIN's), narrowed further by
 * `regionCode` / `sponsorId` when given.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    url: varchar("url", { length: 2048 }).notNull(),
    description: varchar("description", { length: 200 }),
    eventTypes: text("event_types").array().notNull(),
    status: varchar("status", { length: 10 }).$type<WebhookEndpointStatus>().notNull().default("ACTIVE"),
    pausedReason: varchar("paused_reason", { length: 500 }),
    pausedAt: timestamp("paused_at", { withTimezone: true, mode: "string" }),
    ownerSubject: varchar("owner_subject", { length: 160 }).notNull(),
    ownerRole: varchar("owner_role", { length: 20 }).notNull(),
    ownerScopes: text("owner_scopes").array().notNull(),
    ownerRegionCode: varchar("owner_region_code", { length: 13 }),
    ownerSponsorId: bigint("owner_sponsor_id", { mode: "number" }),
    ownerParticipantId: bigint("owner_participant_id", { mode: "number" }),
    /** The partner key that owns it: revoking the key stops its deliveries. */
    ownerApiKeyId: bigint("owner_api_key_id", { mode: "number" }),
    regionCode: varchar("region_code", { length: 13 }),
    sponsorId: bigint("sponsor_id", { mode: "number" }),
    /** `participant.payment_due` is sent this many days before the due date. */
    paymentDueDays: smallint("payment_due_days").notNull().default(7),
    /**
     * `whsec_<base64>`; kept to sign, never shown again after creation or rotation. Sealed
     * (`sealed:v1:...`, events/secret-box.ts) when the Worker has `WEBHOOK_SECRET_KEY`.
     */
    secret: varchar("secret", { length: 200 }).notNull(),
    previousSecret: varchar("previous_secret", { length: 200 }),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true, mode: "string" }),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    index("webhook_endpoints_owner_idx").on(t.ownerSubject),
    check("webhook_endpoints_status", sql`${t.status} in ('ACTIVE', 'PAUSED')`),
    check("webhook_endpoints_due_days", sql`${t.paymentDueDays} between 1 and 28`),
  ],
);

export const webhookDeliveryStatuses = ["PENDING", "DELIVERED", "FAILED", "DEAD", "HELD"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/**
 * One event for one endpoint. `webhook-id` is derived from the event, so it is the same on every
 * attempt and redelivery. `queuedAt` null means it still has to be put on the queue.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    endpointId: bigint("endpoint_id", { mode: "number" })
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: bigint("event_id", { mode: "number" })
      .notNull()
      .references(() => outboxEvents.id),
    eventType: varchar("event_type", { length: 60 }).notNull(),
    /** Deliveries of one worker's events to one endpoint go in event order. */
    participantId: bigint("participant_id", { mode: "number" }),
    status: varchar("status", { length: 10 }).$type<WebhookDeliveryStatus>().notNull().default("PENDING"),
    attempts: smallint("attempts").notNull().default(0),
    queuedAt: timestamp("queued_at", { withTimezone: true, mode: "string" }),
    /** A consumer holds the delivery while its attempt runs; a duplicate message finds it taken. */
    leasedUntil: timestamp("leased_until", { withTimezone: true, mode: "string" }),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, mode: "string" }),
    lastStatusCode: smallint("last_status_code"),
    lastError: varchar("last_error", { length: 500 }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true, mode: "string" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    unique("webhook_deliveries_endpoint_event").on(t.endpointId, t.eventId),
    index("webhook_deliveries_open_idx")
      .on(t.endpointId, t.participantId, t.eventId)
      .where(sql`${t.status} in ('PENDING', 'FAILED', 'HELD')`),
    index("webhook_deliveries_unqueued_idx").on(t.id).where(sql`${t.queuedAt} is null and ${t.status} = 'PENDING'`),
    index("webhook_deliveries_event_idx").on(t.eventId),
    check("webhook_deliveries_status", sql`${t.status} in ('PENDING', 'DELIVERED', 'FAILED', 'DEAD', 'HELD')`),
  ],
);

/** Every HTTP attempt, kept for `webhookDeliveries` and for the partner's questions. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: bigint("delivery_id", { mode: "number" })
      .notNull()
      .references(() => webhookDeliveries.id),
    attempt: smallint("attempt").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "string" }).notNull(),
    latencyMs: integer("latency_ms").notNull(),
    statusCode: smallint("status_code"),
    /** DELIVERED, HTTP_ERROR, TIMEOUT or NETWORK_ERROR. */
    outcome: varchar("outcome", { length: 20 }).notNull(),
    error: varchar("error", { length: 500 }),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);
