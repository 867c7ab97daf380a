/**
 * The queue consumer: one signed POST per message, every attempt recorded, retries with
 * exponential backoff, the dead-letter queue after the last attempt, and an endpoint that keeps
 * failing paused with its reason. Plain functions over the queue interfaces, so Node tests run
 * them against a real HTTP receiver.
 */
import type { Database } from "../../db/client";
import { hasScope } from "../access/rules";
import { instant, payloadFor, webhookMessageId } from "./catalogue";
import { destinationRefusal, isSpecialUseAddress, normaliseEndpointUrl } from "./endpoint-url";
import type { DeliveryMessage, QueueBatch, QueueMessage, QueueProducer } from "./queue";
import { openSecret } from "./secret-box";
import { webhookHeaders } from "./signature";
import {
  autoPause,
  claimDelivery,
  deliveryState,
  earlierStillOpen,
  findDeliverableEndpoint,
  findEvent,
  holdDelivery,
  ownerOf,
  recordAttempt,
  releaseLease,
} from "./store";

export interface DeliveryPolicy {
  /** Attempts in all, the first included; after the last one the delivery is dead-lettered. */
  maxAttempts: number;
  /** Delay before retry n (n = 1, 2, ...): base × factor^(n-1), at most `maxDelaySeconds`. */
  baseDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
  /** A receiver that has not answered by then has failed this attempt. */
  timeoutMs: number;
  /** Consecutive failed attempts (no success between) after which the endpoint is paused. */
  autoPauseAfter: number;
  /** How long a message waits while an earlier event about the same worker is still on its way. */
  orderingDelaySeconds: number;
}

/**
 * 8 attempts over about 15 hours: retries after 10 s, 40 s, 2m40s, 10m40s, 42m40s, 2h50m and
 * 11h20m (Cloudflare Queues delay a retry by at most 12 hours).
 */
export const defaultDeliveryPolicy: DeliveryPolicy = {
  maxAttempts: 8,
  baseDelaySeconds: 10,
  factor: 4,
  maxDelaySeconds: 43_200,
  timeoutMs: 10_000,
  autoPauseAfter: 24,
  orderingDelaySeconds: 5,
};

export function retryDelaySeconds(attempt: number, policy: DeliveryPolicy = defaultDeliveryPolicy): number {
  return Math.min(policy.maxDelaySeconds, Math.round(policy.baseDelaySeconds * policy.factor ** (attempt - 1)));
}

/**
 * The addresses a host name resolves to, for the delivery's check of where a POST would go. Node
 * has one (`nodeHostResolver`, events/node-resolver.ts); Workers have no DNS API, so there the
 * rule is checked on the URL alone. Injected, so tests stay offline.
 */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

export interface DeliveryDeps {
  db: Database;
  /**
   * Production: the endpoint URL rule (endpoint-url.ts) is checked again before every POST, and
   * the address the host resolves to when `resolveHost` is given. Elsewhere receivers on
   * 127.0.0.1 are allowed, as when endpoints are created.
   */
  production?: boolean;
  resolveHost?: HostResolver | undefined;
  /** `WEBHOOK_SECRET_KEY`: opens the endpoints' sealed signing secrets. */
  secretKey?: string | undefined;
  deadLetters?: QueueProducer<DeliveryMessage> | undefined;
  policy?: DeliveryPolicy;
  fetch?: typeof fetch;
  /** The clock: leases, attempt times and signature timestamps all read it. */
  now: () => Date;
  log?: (line: Record<string, unknown>) => void;
}

type Outcome = "DELIVERED" | "HTTP_ERROR" | "TIMEOUT" | "NETWORK_ERROR";

async function post(
  deps: DeliveryDeps,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ outcome: Outcome; statusCode: number | null; error: string | null }> {
  const send = deps.fetch ?? fetch;
  try {
    const response = await send(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      outcome: ok ? "DELIVERED" : "HTTP_ERROR",
      statusCode: response.status,
      error: ok ? null : `HTTP ${response.status}`,
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return { outcome: "TIMEOUT", statusCode: null, error: `no answer within ${timeoutMs} ms` };
    }
    return { outcome: "NETWORK_ERROR", statusCode: null, error: String(error).slice(0, 500) };
  }
}

type Destination =
  | { kind: "open" }
  | { kind: "refused"; reason: string; detail: string }
  | { kind: "unresolved"; error: string };

/**
 * Whether a production POST may go to this URL now: the rule endpoints were created under (the URL
 * may predate it), then, where the runtime can resolve names, every address the host resolves to,
 * so a public name pointed at an internal address later (DNS rebinding) is refused too.
 */
async function destinationOf(deps: DeliveryDeps, text: string): Promise<Destination> {
  if (!deps.production) return { kind: "open" };
  const url = normaliseEndpointUrl(text);
  if (url?.protocol !== "https:") return { kind: "refused", reason: "NOT_PUBLIC_HTTPS", detail: text };
  const refusal = destinationRefusal(url);
  if (refusal) return { kind: "refused", reason: refusal, detail: url.hostname };
  const literal = url.hostname.startsWith("[") || /^[0-9.]+$/.test(url.hostname);
  if (literal || !deps.resolveHost) return { kind: "open" };
  let addresses: readonly string[];
  try {
    addresses = await deps.resolveHost(url.hostname);
  } catch (error) {
    return { kind: "unresolved", error: `could not resolve ${url.hostname}: ${String(error).slice(0, 200)}` };
  }
  if (addresses.length === 0) return { kind: "unresolved", error: `${url.hostname} resolves to no address` };
  const forbidden = addresses.find((address) => isSpecialUseAddress(address));
  if (forbidden) {
    return { kind: "refused", reason: "RESOLVES_TO_SPECIAL_USE_ADDRESS", detail: `${url.hostname} → ${forbidden}` };
  }
  return { kind: "open" };
}

/** One message: deliver, or hold, wait its turn, retry later, or dead-letter it. */
export async function deliverMessage(deps: DeliveryDeps, message: QueueMessage<DeliveryMessage>): Promise<void> {
  const policy = deps.policy ?? defaultDeliveryPolicy;
  const { now } = deps;
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));
  const deliveryId = Number(message.body?.deliveryId);
  if (!Number.isSafeInteger(deliveryId)) return message.ack();
  const leaseSeconds = Math.ceil(policy.timeoutMs / 1000) + 30;
  const delivery = await claimDelivery(deps.db, deliveryId, leaseSeconds, now());
  if (!delivery) {
    const state = await deliveryState(deps.db, deliveryId);
    // Leased: another attempt is running, or its consumer died mid-attempt (then this message is
    // the queue's retry of it). Come back when the lease has run out; otherwise it is finished.
    if (state === "PENDING" || state === "FAILED") return message.retry({ delaySeconds: leaseSeconds });
    return message.ack();
  }
  // Deleted, or its owner's key revoked: nothing more goes out, retries and held deliveries included.
  const endpoint = await findDeliverableEndpoint(deps.db, delivery.endpointId);
  if (!endpoint) {
    await releaseLease(deps.db, delivery.id);
    return message.ack();
  }
  if (endpoint.status === "PAUSED") {
    await holdDelivery(deps.db, delivery.id);
    return message.ack();
  }
  const blocking = await earlierStillOpen(deps.db, delivery);
  if (blocking) {
    await releaseLease(deps.db, delivery.id);
    // Back when the earlier event's next attempt is due, not sooner: few wake-ups while it retries.
    const nextTry =
      blocking.status === "FAILED" && blocking.lastAttemptAt
        ? (instant(blocking.lastAttemptAt).getTime() +
            retryDelaySeconds(blocking.attempts, policy) * 1000 -
            now().getTime()) /
          1000
        : 0;
    return message.retry({
      delaySeconds: Math.min(policy.maxDelaySeconds, Math.max(policy.orderingDelaySeconds, Math.ceil(nextTry) + 1)),
    });
  }
  const event = await findEvent(deps.db, delivery.eventId);
  if (!event) {
    await releaseLease(deps.db, delivery.id);
    return message.ack();
  }

  const destination = await destinationOf(deps, endpoint.url);
  if (destination.kind === "refused") {
    // Not a failure to retry: the endpoint stops (paused, saying why) until its owner replaces it.
    // The reason names the rule, not the address a name resolved to (that stays in our logs).
    await holdDelivery(deps.db, delivery.id);
    const reason = `Paused: its URL is not a public destination (${destination.reason})`;
    const paused = await autoPause(deps.db, endpoint.id, reason, now());
    log({
      level: "warn",
      job: "webhook-delivery",
      deliveryId: delivery.id,
      endpointId: endpoint.id,
      refused: destination.reason,
      destination: destination.detail,
      paused,
    });
    return message.ack();
  }

  const attempt = delivery.attempts + 1;
  const body = payloadFor(event, { piiRead: hasScope(ownerOf(endpoint), "pii:read") });
  const startedAt = now();
  const secrets = [await openSecret(endpoint.secret, deps.secretKey)];
  if (
    endpoint.previousSecret &&
    endpoint.previousSecretExpiresAt &&
    instant(endpoint.previousSecretExpiresAt) > startedAt
  ) {
    secrets.push(await openSecret(endpoint.previousSecret, deps.secretKey));
  }
  const headers = await webhookHeaders(
    secrets,
    webhookMessageId(event.id),
    Math.floor(startedAt.getTime() / 1000),
    body,
  );
  const clockStart = performance.now();
  const result =
    destination.kind === "unresolved"
      ? { outcome: "NETWORK_ERROR" as const, statusCode: null, error: destination.error }
      : await post(deps, endpoint.url, headers, body, policy.timeoutMs);
  const latencyMs = Math.round(performance.now() - clockStart);
  const delivered = result.outcome === "DELIVERED";
  const dead = !delivered && attempt >= policy.maxAttempts;
  const { consecutiveFailures } = await recordAttempt(
    deps.db,
    {
      deliveryId: delivery.id,
      attempt,
      startedAt: startedAt.toISOString(),
      latencyMs,
      statusCode: result.statusCode,
      outcome: result.outcome,
      error: result.error,
    },
    {
      status: delivered ? "DELIVERED" : dead ? "DEAD" : "FAILED",
      attempts: attempt,
      lastAttemptAt: startedAt.toISOString(),
      lastStatusCode: result.statusCode,
      lastError: result.error,
      ...(delivered ? { deliveredAt: now().toISOString() } : {}),
    },
    { id: endpoint.id, succeeded: delivered },
  );
  log({
    level: delivered ? "info" : "warn",
    job: "webhook-delivery",
    deliveryId: delivery.id,
    endpointId: endpoint.id,
    eventType: event.type,
    attempt,
    outcome: result.outcome,
    statusCode: result.statusCode,
    latencyMs,
    // Commit of the change → this attempt's answer: the end-to-end lag partners see.
    lagMs: now().getTime() - instant(event.occurredAt).getTime(),
    consecutiveFailures,
  });
  if (!delivered && consecutiveFailures >= policy.autoPauseAfter) {
    const reason = `Paused automatically after ${consecutiveFailures} failed attempts in a row; the last: ${result.error}`;
    if (await autoPause(deps.db, endpoint.id, reason, now())) {
      log({ level: "warn", job: "webhook-delivery", endpointId: endpoint.id, paused: true, reason });
    }
  }
  if (delivered) return message.ack();
  if (dead) {
    await deps.deadLetters?.send({ deliveryId: delivery.id });
    return message.ack();
  }
  return message.retry({ delaySeconds: retryDelaySeconds(attempt, policy) });
}

/** The `queue` handler's work: messages in event order, one at a time (order per worker matters). */
export async function deliverBatch(deps: DeliveryDeps, batch: QueueBatch<DeliveryMessage>): Promise<void> {
  const messages = [...batch.messages].sort(
    (a, b) => Number(a.body?.deliveryId ?? 0) - Number(b.body?.deliveryId ?? 0),
  );
  for (const message of messages) {
    try {
      await deliverMessage(deps, message);
    } catch (error) {
      // A database hiccup: this message comes back later; the others go on.
      console.error(JSON.stringify({ level: "error", job: "webhook-delivery", message: String(error) }));
      message.retry({ delaySeconds: 30 });
    }
  }
}
