import type { DeliveryMessage, QueueProducer } from "./queue";
import { isSecretKey } from "./secret-box";

/** The queue bindings of `wrangler.toml`, when the Worker has them (tests and plain Node servers do not). */
export interface EventQueues {
  events: QueueProducer<DeliveryMessage>;
  deadLetters: QueueProducer<DeliveryMessage> | undefined;
}

function producer(value: unknown): QueueProducer<DeliveryMessage> | undefined {
  const candidate = value as Partial<QueueProducer<DeliveryMessage>> | undefined;
  return typeof candidate?.send === "function" && typeof candidate.sendBatch === "function"
    ? (candidate as QueueProducer<DeliveryMessage>)
    : undefined;
}

export function eventQueuesOf(bindings: unknown): EventQueues | null {
  const record = (bindings ?? {}) as Record<string, unknown>;
  const events = producer(record.WEBHOOK_QUEUE);
  return events ? { events, deadLetters: producer(record.WEBHOOK_DLQ) } : null;
}

/** `WEBHOOK_SECRET_KEY`, for the queue consumer (the request path reads it through `parseEnv`). */
export function webhookSecretKeyOf(bindings: unknown): string | undefined {
  const key = ((bindings ?? {}) as Record<string, unknown>).WEBHOOK_SECRET_KEY;
  return typeof key === "string" && isSecretKey(key) ? key : undefined;
}

/**
 * Whether these bindings are production's: `ENVIRONMENT` unset counts as production, as in
 * `parseEnv`, so a forgotten variable never loosens the rules.
 */
export function isProductionBindings(bindings: unknown): boolean {
  const environment = ((bindings ?? {}) as Record<string, unknown>).ENVIRONMENT;
  return environment !== "development" && environment !== "test";
}
