/**
 * The Worker's event side: relaying the outbox to the queue (after each write — GraphQL mutations,
 * the payment webhook, CSV uploads — and every minute as the sweep that picks up whatever a dying
 * isolate left), consuming the queue into signed webhooks, and the daily calendar events.
 */
import type { DatabaseConnection } from "./db/client";
import { eventQueuesOf, isProductionBindings, webhookSecretKeyOf } from "./modules/events/bindings";
import { deliverBatch } from "./modules/events/delivery";
import type { DeliveryMessage, QueueBatch } from "./modules/events/queue";
import { relayOutbox } from "./modules/events/relay";
import type { Clock } from "./shared/clock";

export type Connect = () => DatabaseConnection;

/** Relays what the outbox holds; a no-op where no queue is bound. */
export async function relayEvents(bindings: unknown, connect: Connect, clock: Clock): Promise<void> {
  const queues = eventQueuesOf(bindings);
  if (!queues) return;
  const { db, end } = connect();
  try {
    const report = await relayOutbox(db, queues.events, { now: clock.now() });
    if (report.events > 0 || report.queued > 0) {
      console.log(JSON.stringify({ level: "info", job: "outbox-relay", ...report }));
    }
  } finally {
    await end();
  }
}

/** The `queue` handler: the delivery queue; messages of the dead-letter queue are logged and acknowledged. */
export async function consumeEventQueue(
  batch: QueueBatch<DeliveryMessage>,
  bindings: unknown,
  connect: Connect,
  clock: Clock,
): Promise<void> {
  if (batch.queue.endsWith("-dlq")) {
    for (const message of batch.messages) {
      console.error(
        JSON.stringify({ level: "error", job: "webhook-dead-letter", deliveryId: message.body?.deliveryId }),
      );
      message.ack();
    }
    return;
  }
  const { db, end } = connect();
  try {
    await deliverBatch(
      {
        db,
        deadLetters: eventQueuesOf(bindings)?.deadLetters,
        secretKey: webhookSecretKeyOf(bindings),
        // The URL rule again before every POST; no resolver: Workers have no DNS API.
        production: isProductionBindings(bindings),
        now: () => clock.now(),
      },
      batch,
    );
  } finally {
    await end();
  }
}
