import { createContextCache } from "@pothos/core";
import { type ResolveCursorConnectionArgs, resolveCursorConnection } from "@pothos/plugin-relay";
import { builder } from "../../builder";
import type { Context } from "../../context";
import { forbidden } from "../../shared/errors";
import { decodeGlobalId, encodeGlobalId } from "../../shared/ids";
import { msg } from "../../shared/messages";
import { UserError } from "../../shared/user-error-type";
import { may } from "../access/actions";
import type { AuthenticatedViewer } from "../access/rules";
import { type EventType, eventTypes } from "../outbox/event-types";
import { eventTypeEnumValue, webhookMessageId } from "./catalogue";
import {
  changeWebhookEndpoint,
  createWebhookEndpoint,
  type EndpointResult,
  type RedeliverResult,
  type ReplayResult,
  redeliverWebhook,
  replayEvents,
} from "./service";
import {
  type AttemptRow,
  attemptsOf,
  type DeliveryRow,
  type EndpointRow,
  findManagedEndpoint,
  listDeliveries,
  listManagedEndpoints,
} from "./store";
import { webhookDeliveryStatuses, webhookEndpointStatuses } from "./tables";

const WebhookEventTypeEnum = builder.enumType("WebhookEventType", {
  description:
    "Partner events; the payload's `type` is the dotted name (PARTICIPANT_STATUS_CHANGED → participant.status_changed).",
  values: Object.fromEntries(eventTypes.map((type) => [eventTypeEnumValue(type), { value: type }])) as Record<
    string,
    { value: EventType }
  >,
});
const WebhookEndpointStatusEnum = builder.enumType("WebhookEndpointStatus", { values: webhookEndpointStatuses });
const WebhookDeliveryStatusEnum = builder.enumType("WebhookDeliveryStatus", {
  description:
    "PENDING (on its way), DELIVERED (2xx), FAILED (will be retried), DEAD (attempts exhausted, dead-lettered), HELD (endpoint paused).",
  values: webhookDeliveryStatuses,
});

function webhookManager(ctx: Context): AuthenticatedViewer {
  const viewer = ctx.viewer;
  if (viewer.kind !== "user" || !may(viewer, "webhook:manage")) {
    throw forbidden(msg("FORBIDDEN.webhooks"));
  }
  return viewer;
}

const WebhookEndpoint = builder.objectRef<EndpointRow>("WebhookEndpoint").implement({
  description:
    "Where events are POSTed, signed per Standard Webhooks; it receives only events about workers its owner may read.",
  fields: (t) => ({
    id: t.id({ resolve: (row) => encodeGlobalId("WebhookEndpoint", row.id) }),
    url: t.string({ resolve: (row) => row.url }),
    description: t.string({ nullable: true, resolve: (row) => row.description }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], resolve: (row) => row.eventTypes as EventType[] }),
    status: t.field({ type: WebhookEndpointStatusEnum, resolve: (row) => row.status }),
    pausedReason: t.string({
      nullable: true,
      description: "Why it is paused: by its owner, or automatically after failing repeatedly (with the last error).",
      resolve: (row) => row.pausedReason,
    }),
    pausedAt: t.field({ type: "DateTime", nullable: true, resolve: (row) => row.pausedAt }),
    regionCode: t.string({
      nullable: true,
      description: "Only workers in this region.",
      resolve: (row) => row.regionCode,
    }),
    sponsorId: t.id({
      nullable: true,
      description: "Only this sponsor's workers.",
      resolve: (row) => (row.sponsorId ? encodeGlobalId("Sponsor", row.sponsorId) : null),
    }),
    paymentDueDays: t.int({ resolve: (row) => row.paymentDueDays }),
    consecutiveFailures: t.int({ resolve: (row) => row.consecutiveFailures }),
    previousSecretExpiresAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "Until then, deliveries carry a second signature made with the previous secret.",
      resolve: (row) => row.previousSecretExpiresAt,
    }),
    createdAt: t.field({ type: "DateTime", resolve: (row) => row.createdAt }),
  }),
});

const WebhookAttempt = builder.objectRef<AttemptRow>("WebhookAttempt").implement({
  fields: (t) => ({
    attempt: t.int({ resolve: (row) => row.attempt }),
    startedAt: t.field({ type: "DateTime", resolve: (row) => row.startedAt }),
    latencyMs: t.int({ resolve: (row) => row.latencyMs }),
    statusCode: t.int({ nullable: true, resolve: (row) => row.statusCode }),
    outcome: t.string({
      description: "DELIVERED, HTTP_ERROR, TIMEOUT or NETWORK_ERROR.",
      resolve: (row) => row.outcome,
    }),
    error: t.string({ nullable: true, resolve: (row) => row.error }),
  }),
});

/** Attempts of every delivery on a page in one statement. */
const attemptsCache = createContextCache((_ctx: Context) => ({
  pending: null as { ids: number[]; rows: Promise<Map<number, AttemptRow[]>> } | null,
}));

function attemptsFor(ctx: Context, deliveryId: number): Promise<AttemptRow[]> {
  const state = attemptsCache(ctx);
  if (!state.pending) {
    const ids: number[] = [];
    const rows = Promise.resolve().then(async () => {
      state.pending = null;
      const grouped = new Map<number, AttemptRow[]>();
      for (const row of await attemptsOf(ctx.db, ids)) {
        grouped.set(row.deliveryId, [...(grouped.get(row.deliveryId) ?? []), row]);
      }
      return grouped;
    });
    state.pending = { ids, rows };
  }
  state.pending.ids.push(deliveryId);
  return state.pending.rows.then((grouped) => grouped.get(deliveryId) ?? []);
}

const WebhookDelivery = builder.objectRef<DeliveryRow>("WebhookDelivery").implement({
  description: "One event on its way to one endpoint, with every attempt.",
  fields: (t) => ({
    id: t.id({ resolve: (row) => encodeGlobalId("WebhookDelivery", row.id) }),
    webhookId: t.string({
      description: "The `webhook-id` header: the same on every attempt and redelivery.",
      resolve: (row) => webhookMessageId(row.eventId),
    }),
    eventType: t.field({ type: WebhookEventTypeEnum, resolve: (row) => row.eventType as EventType }),
    endpoint: t.field({
      type: WebhookEndpoint,
      nullable: true,
      resolve: (row, _args, ctx) => findManagedEndpoint(ctx.db, webhookManager(ctx), row.endpointId),
    }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (row) => row.status }),
    attemptCount: t.int({ resolve: (row) => row.attempts }),
    lastStatusCode: t.int({ nullable: true, resolve: (row) => row.lastStatusCode }),
    lastError: t.string({ nullable: true, resolve: (row) => row.lastError }),
    lastAttemptAt: t.field({ type: "DateTime", nullable: true, resolve: (row) => row.lastAttemptAt }),
    deliveredAt: t.field({ type: "DateTime", nullable: true, resolve: (row) => row.deliveredAt }),
    createdAt: t.field({ type: "DateTime", resolve: (row) => row.createdAt }),
    attempts: t.field({ type: [WebhookAttempt], resolve: (row, _args, ctx) => attemptsFor(ctx, row.id) }),
  }),
});

const WebhookDeliveryFilter = builder.inputType("WebhookDeliveryFilter", {
  fields: (t) => ({
    endpointId: t.id(),
    eventType: t.field({ type: WebhookEventTypeEnum }),
    status: t.field({ type: WebhookDeliveryStatusEnum }),
  }),
});

builder.queryFields((t) => ({
  webhookEndpoints: t.field({
    type: [WebhookEndpoint],
    description: "The caller's webhook endpoints (every one for ADMIN, newest first, at most 100).",
    resolve: (_root, _args, ctx) => listManagedEndpoints(ctx.db, webhookManager(ctx), 100),
  }),
  webhookDeliveries: t.connection(
    {
      type: WebhookDelivery,
      description: "Deliveries to the caller's endpoints, newest first; filter by endpoint, event type and status.",
      args: { filter: t.arg({ type: WebhookDeliveryFilter }) },
      resolve: (_root, args, ctx) => {
        const viewer = webhookManager(ctx);
        const endpointId = args.filter?.endpointId
          ? decodeGlobalId(String(args.filter.endpointId), "WebhookEndpoint")
          : null;
        if (args.filter?.endpointId && endpointId === null) {
          return resolveCursorConnection({ args, toCursor: (row: DeliveryRow) => String(row.id) }, async () => []);
        }
        return resolveCursorConnection(
          { args, toCursor: (row: DeliveryRow) => String(row.id) },
          async ({ after, limit, inverted }: ResolveCursorConnectionArgs) => {
            if (inverted) throw forbidden(msg("FORBIDDEN.deliveriesForward"));
            const rows = await listDeliveries(
              ctx.db,
              viewer,
              {
                endpointId,
                eventType: args.filter?.eventType ?? null,
                status: args.filter?.status ?? null,
              },
              { before: after ? Number(after) : null, limit },
            );
            return rows.map((row) => row.delivery);
          },
        );
      },
    },
    { name: "WebhookDeliveryConnection" },
    { name: "WebhookDeliveryEdge" },
  ),
}));

const CreateWebhookEndpointInput = builder.inputType("CreateWebhookEndpointInput", {
  fields: (t) => ({
    url: t.string({ required: true, description: "https:// (plain http only outside production)." }),
    description: t.string(),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], required: true }),
    regionCode: t.string({ description: "Narrow to workers in this region (any level)." }),
    sponsorId: t.id({ description: "Narrow to this sponsor's workers." }),
    paymentDueDays: t.int({
      description: "participant.payment_due this many days before the due date (1-28, default 7).",
    }),
  }),
});

/** One payload type per mutation (`<Mutation>Payload`), each with the same fields. */
function webhookEndpointPayload(name: string) {
  return builder.objectRef<EndpointResult>(name).implement({
    fields: (t) => ({
      webhookEndpoint: t.field({
        type: WebhookEndpoint,
        nullable: true,
        description: "Null when userErrors is not empty.",
        resolve: (r) => r.webhookEndpoint,
      }),
      signingSecret: t.string({
        nullable: true,
        description:
          "`whsec_…`: shown only now (creation and rotation); store it to verify signatures. Null for the other mutations and when `userErrors` is not empty.",
        resolve: (r) => r.signingSecret,
      }),
      userErrors: t.field({ type: [UserError], resolve: (r) => r.userErrors }),
    }),
  });
}

const WebhookEndpointIdInput = builder.inputType("WebhookEndpointIdInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});
const RotateWebhookSecretInput = builder.inputType("RotateWebhookSecretInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    overlapHours: t.int({ description: "How long the previous secret still signs too (0-168 hours, default 24)." }),
  }),
});
const RedeliverWebhookInput = builder.inputType("RedeliverWebhookInput", {
  fields: (t) => ({ deliveryId: t.id({ required: true }) }),
});
const ReplayEventsInput = builder.inputType("ReplayEventsInput", {
  fields: (t) => ({
    endpointId: t.id({ required: true }),
    since: t.field({ type: "DateTime", required: true, description: "Within the last 30 days." }),
  }),
});

const RedeliverWebhookPayload = builder.objectRef<RedeliverResult>("RedeliverWebhookPayload").implement({
  fields: (t) => ({
    delivery: t.field({
      type: WebhookDelivery,
      nullable: true,
      description: "Null when userErrors is not empty.",
      resolve: (r) => r.delivery,
    }),
    userErrors: t.field({ type: [UserError], resolve: (r) => r.userErrors }),
  }),
});
const ReplayEventsPayload = builder.objectRef<ReplayResult>("ReplayEventsPayload").implement({
  fields: (t) => ({
    webhookEndpoint: t.field({
      type: WebhookEndpoint,
      nullable: true,
      description: "Null when userErrors is not empty.",
      resolve: (r) => r.webhookEndpoint,
    }),
    replayed: t.int({ description: "Deliveries put back on the queue.", resolve: (r) => r.replayed }),
    userErrors: t.field({ type: [UserError], resolve: (r) => r.userErrors }),
  }),
});

const endpointId = (id: string | number) => decodeGlobalId(String(id), "WebhookEndpoint");

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: webhookEndpointPayload("CreateWebhookEndpointPayload"),
    description: "Subscribes a URL to event types (ADMIN or an API key); the signing secret is returned once.",
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createWebhookEndpoint(ctx, {
        url: input.url,
        description: input.description ?? null,
        eventTypes: input.eventTypes,
        regionCode: input.regionCode ?? null,
        sponsorId: input.sponsorId ? (decodeGlobalId(String(input.sponsorId), "Sponsor") ?? -1) : null,
        paymentDueDays: input.paymentDueDays ?? null,
      }),
  }),
  pauseWebhookEndpoint: t.field({
    type: webhookEndpointPayload("PauseWebhookEndpointPayload"),
    description:
      "Stops deliveries; events keep being recorded and are held for the endpoint for the retention (35 days), older ones going with their events.",
    args: { input: t.arg({ type: WebhookEndpointIdInput, required: true }) },
    resolve: (_root, { input }, ctx) => changeWebhookEndpoint(ctx, "pause", endpointId(input.id)),
  }),
  resumeWebhookEndpoint: t.field({
    type: webhookEndpointPayload("ResumeWebhookEndpointPayload"),
    description: "Resumes deliveries, held ones first.",
    args: { input: t.arg({ type: WebhookEndpointIdInput, required: true }) },
    resolve: (_root, { input }, ctx) => changeWebhookEndpoint(ctx, "resume", endpointId(input.id)),
  }),
  deleteWebhookEndpoint: t.field({
    type: webhookEndpointPayload("DeleteWebhookEndpointPayload"),
    args: { input: t.arg({ type: WebhookEndpointIdInput, required: true }) },
    resolve: (_root, { input }, ctx) => changeWebhookEndpoint(ctx, "delete", endpointId(input.id)),
  }),
  rotateWebhookSecret: t.field({
    type: webhookEndpointPayload("RotateWebhookSecretPayload"),
    description: "A new signing secret, returned once; the previous one also signs during the overlap.",
    args: { input: t.arg({ type: RotateWebhookSecretInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      changeWebhookEndpoint(ctx, "rotate", endpointId(input.id), { overlapHours: input.overlapHours ?? null }),
  }),
  redeliverWebhook: t.field({
    type: RedeliverWebhookPayload,
    args: { input: t.arg({ type: RedeliverWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      redeliverWebhook(ctx, decodeGlobalId(String(input.deliveryId), "WebhookDelivery")),
  }),
  replayEvents: t.field({
    type: ReplayEventsPayload,
    description: "Sends again every event since a time that the endpoint subscribes to and may read.",
    args: { input: t.arg({ type: ReplayEventsInput, required: true }) },
    resolve: (_root, { input }, ctx) => replayEvents(ctx, endpointId(input.endpointId), input.since),
  }),
}));
