/**
 * The small part of Cloudflare Queues the relay and the consumer use. The Worker passes its
 * bindings (a producer's `send`/`sendBatch`, a batch's messages with `ack`/`retry`); Node tests and
 * the benchmark pass an in-process queue with the same shape.
 */

/** What travels on the queue: only the delivery's id, the rest is read from the database. */
export interface DeliveryMessage {
  deliveryId: number;
}

export interface QueueProducer<T> {
  send(body: T, options?: { delaySeconds?: number }): Promise<void>;
  sendBatch(messages: Iterable<{ body: T; delaySeconds?: number }>): Promise<void>;
}

export interface QueueMessage<T> {
  readonly id: string;
  readonly body: T;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface QueueBatch<T> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<T>[];
}

/** Cloudflare Queues take at most 100 messages per `sendBatch`. */
export const SEND_BATCH_LIMIT = 100;
