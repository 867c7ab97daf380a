/**
 * Webhook endpoints: created, listed, paused, resumed, deleted and their secrets rotated by their
 * owner (ADMIN or an API-key integration); deliveries redelivered and events replayed. Every
 * mutation is audited with its change.
 */

import type { Clock } from "../../shared/clock";
import { forbidden, type UserError, userError, zodUserErrors } from "../../shared/errors";
import { msg } from "../../shared/messages";
import { may } from "../access/actions";
import type { AuthenticatedViewer, Viewer } from "../access/rules";
import { audited, type MutationContext, rejection } from "../audit/service";
import type { EventType } from "../outbox/event-types";
import { replayDeliveries } from "./relay";
import { sealSecret } from "./secret-box";
import { newSigningSecret } from "./signature";
import {
  countManagedEndpoints,
  type DeliveryRow,
  type EndpointRow,
  findManagedDelivery,
  findManagedEndpoint,
  insertEndpoint,
  lockEndpointOwner,
  releaseHeldDeliveries,
  requeueDelivery,
  updateEndpoint,
  upsertDeliveries,
} from "./store";
import {
  createEndpointInput,
  MAX_ENDPOINTS_PER_OWNER,
  REPLAY_MAX_EVENTS,
  REPLAY_WINDOW_DAYS,
  rotateSecretInput,
} from "./validation";

export interface EventsContext extends MutationContext {
  clock: Clock;
  env: { environment: "development" | "test" | "production"; webhookSecretKey: string | undefined };
}

function manager(viewer: Viewer): AuthenticatedViewer {
  if (viewer.kind !== "user" || !may(viewer, "webhook:manage")) {
    throw forbidden(msg("FORBIDDEN.webhooks"));
  }
  return viewer;
}

const notFound = (field: string[]) => userError("NOT_FOUND", msg("NOT_FOUND.webhookEndpoint"), field);

export interface EndpointResult {
  webhookEndpoint: EndpointRow | null;
  /** Shown once, on creation and rotation. */
  signingSecret: string | null;
  userErrors: UserError[];
}

export interface CreateEndpointRequest {
  url: string;
  description?: string | null;
  eventTypes: EventType[];
  regionCode?: string | null;
  sponsorId?: number | null;
  paymentDueDays?: number | null;
}

export async function createWebhookEndpoint(ctx: EventsContext, raw: CreateEndpointRequest): Promise<EndpointResult> {
  const owner = manager(ctx.viewer);
  return audited<EndpointResult>(ctx, "createWebhookEndpoint", async (tx) => {
    const parsed = createEndpointInput(ctx.env.environment === "production").safeParse(raw);
    if (!parsed.success) {
      return rejection({
        webhookEndpoint: null,
        signingSecret: null,
        userErrors: zodUserErrors(parsed.error, ["input"]),
      });
    }
    const input = parsed.data;
    // Every owner under the cap is an API key (mayManageWebhooks); concurrent creations queue on it.
    if (owner.role !== "ADMIN" && owner.apiKeyId !== undefined) await lockEndpointOwner(tx, owner.apiKeyId);
    if (owner.role !== "ADMIN" && (await countManagedEndpoints(tx, owner)) >= MAX_ENDPOINTS_PER_OWNER) {
      return rejection({
        webhookEndpoint: null,
        signingSecret: null,
        userErrors: [userError("LIMIT_REACHED", msg("LIMIT_REACHED.endpoints", { max: MAX_ENDPOINTS_PER_OWNER }))],
      });
    }
    const secret = newSigningSecret();
    const endpoint = await insertEndpoint(tx, {
      url: input.url,
      description: input.description ?? null,
      eventTypes: input.eventTypes,
      ownerSubject: owner.subject,
      ownerRole: owner.role,
      ownerScopes: [...owner.scopes],
      ownerRegionCode: owner.regionCode ?? null,
      ownerSponsorId: owner.sponsorId ?? null,
      ownerParticipantId: owner.participantId ?? null,
      ownerApiKeyId: owner.apiKeyId ?? null,
      regionCode: input.regionCode ?? null,
      sponsorId: input.sponsorId ?? null,
      paymentDueDays: input.paymentDueDays ?? 7,
      createdAt: ctx.clock.now().toISOString(),
      secret: await sealSecret(secret, ctx.env.webhookSecretKey),
    });
    return {
      result: { webhookEndpoint: endpoint, signingSecret: secret, userErrors: [] },
      targetIds: [`webhook-endpoint:${endpoint.id}`],
      outcome: "SUCCEEDED",
      details: { url: endpoint.url, eventTypes: endpoint.eventTypes },
    };
  });
}

type EndpointChange = "pause" | "resume" | "delete" | "rotate";

/** Pause, resume, delete or rotate the secret of an endpoint the caller manages. */
export async function changeWebhookEndpoint(
  ctx: EventsContext,
  change: EndpointChange,
  id: number | null,
  options: { overlapHours?: number | null } = {},
): Promise<EndpointResult> {
  const owner = manager(ctx.viewer);
  const operation = {
    pause: "pauseWebhookEndpoint",
    resume: "resumeWebhookEndpoint",
    delete: "deleteWebhookEndpoint",
    rotate: "rotateWebhookSecret",
  }[change];
  const now = ctx.clock.now();
  return audited<EndpointResult>(ctx, operation, async (tx) => {
    const refuse = (errors: UserError[]) =>
      rejection({ webhookEndpoint: null, signingSecret: null, userErrors: errors });
    const endpoint = id === null ? null : await findManagedEndpoint(tx, owner, id, true);
    if (!endpoint) return refuse([notFound(["input", "id"])]);
    const target = [`webhook-endpoint:${endpoint.id}`];
    let updated: EndpointRow;
    let secret: string | null = null;
    if (change === "pause") {
      updated = await updateEndpoint(tx, endpoint.id, {
        status: "PAUSED",
        pausedReason: "Paused by its owner",
        pausedAt: now.toISOString(),
      });
    } else if (change === "resume") {
      updated = await updateEndpoint(tx, endpoint.id, {
        status: "ACTIVE",
        pausedReason: null,
        pausedAt: null,
        consecutiveFailures: 0,
      });
      await releaseHeldDeliveries(tx, endpoint.id);
    } else if (change === "delete") {
      updated = await updateEndpoint(tx, endpoint.id, { deletedAt: now.toISOString() });
    } else {
      const parsed = rotateSecretInput.safeParse({ overlapHours: options.overlapHours ?? 24 });
      if (!parsed.success) return refuse(zodUserErrors(parsed.error, ["input"]));
      secret = newSigningSecret();
      updated = await updateEndpoint(tx, endpoint.id, {
        secret: await sealSecret(secret, ctx.env.webhookSecretKey),
        previousSecret: endpoint.secret,
        // The consumer compares with its clock, the same one that starts the overlap here.
        previousSecretExpiresAt: new Date(now.getTime() + parsed.data.overlapHours * 3_600_000).toISOString(),
      });
    }
    return {
      result: { webhookEndpoint: updated, signingSecret: secret, userErrors: [] },
      targetIds: target,
      outcome: "SUCCEEDED",
    };
  });
}

export interface RedeliverResult {
  delivery: DeliveryRow | null;
  userErrors: UserError[];
}

/** Puts one delivery back on the queue (same `webhook-id`), whatever became of it. */
export async function redeliverWebhook(ctx: EventsContext, deliveryId: number | null): Promise<RedeliverResult> {
  const owner = manager(ctx.viewer);
  return audited<RedeliverResult>(ctx, "redeliverWebhook", async (tx) => {
    const delivery = deliveryId === null ? null : await findManagedDelivery(tx, owner, deliveryId);
    if (!delivery) {
      return rejection({
        delivery: null,
        userErrors: [userError("NOT_FOUND", msg("NOT_FOUND.webhookDelivery"), ["input", "deliveryId"])],
      });
    }
    const again = await requeueDelivery(tx, delivery.id);
    return {
      result: { delivery: again, userErrors: [] },
      targetIds: [`webhook-delivery:${delivery.id}`],
      outcome: "SUCCEEDED",
    };
  });
}

export interface ReplayResult {
  webhookEndpoint: EndpointRow | null;
  replayed: number;
  userErrors: UserError[];
}

/**
 * Sends again every event since `since` that the endpoint subscribes to and may read (what it
 * would have received), delivered or not; the receiver dedupes on `webhook-id`.
 */
export async function replayEvents(
  ctx: EventsContext,
  endpointId: number | null,
  since: string,
): Promise<ReplayResult> {
  const owner = manager(ctx.viewer);
  const now = ctx.clock.now();
  return audited<ReplayResult>(ctx, "replayEvents", async (tx) => {
    const refuse = (errors: UserError[]) => rejection({ webhookEndpoint: null, replayed: 0, userErrors: errors });
    const endpoint = endpointId === null ? null : await findManagedEndpoint(tx, owner, endpointId);
    if (!endpoint) return refuse([notFound(["input", "endpointId"])]);
    const from = new Date(since);
    const earliest = now.getTime() - REPLAY_WINDOW_DAYS * 86_400_000;
    if (Number.isNaN(from.getTime()) || from.getTime() < earliest || from.getTime() > now.getTime()) {
      return refuse([
        userError("INVALID_INPUT", msg("INVALID_INPUT.replayWindow", { days: REPLAY_WINDOW_DAYS }), ["input", "since"]),
      ]);
    }
    // Counted over what this endpoint may read only: others' events neither refuse nor show here.
    const rows = await replayDeliveries(tx, endpoint, from.toISOString(), REPLAY_MAX_EVENTS, now);
    if (rows.length > REPLAY_MAX_EVENTS) {
      return refuse([
        userError("TOO_MANY_EVENTS", msg("TOO_MANY_EVENTS.max", { max: REPLAY_MAX_EVENTS }), ["input", "since"]),
      ]);
    }
    const replayed = await upsertDeliveries(tx, rows, true);
    return {
      result: { webhookEndpoint: endpoint, replayed, userErrors: [] },
      targetIds: [`webhook-endpoint:${endpoint.id}`],
      outcome: "SUCCEEDED",
      details: { since: from.toISOString(), replayed },
    };
  });
}
