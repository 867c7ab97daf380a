import { connectFor, createApp, runScheduledJob } from "./app";
import { consumeEventQueue, relayEvents, runDailyEvents } from "./events-worker";
import type { DeliveryMessage, QueueBatch } from "./modules/events/queue";

const app = createApp();

/** Every minute: the outbox sweep (see wrangler.toml); the other cron is the daily job. */
const RELAY_CRON = "* * * * *";

/** The Worker: one app (and one GraphQL schema) per isolate, the daily rollup check, and partner events. */
export default {
  fetch: app.fetch,
  scheduled(controller: { cron?: string }, env: unknown, ctx: { waitUntil(promise: Promise<unknown>): void }) {
    if (controller.cron === RELAY_CRON) {
      ctx.waitUntil(relayEvents(env, () => connectFor(env)));
      return;
    }
    ctx.waitUntil(runScheduledJob(env));
    ctx.waitUntil(runDailyEvents(env, () => connectFor(env)));
  },
  queue(batch: QueueBatch<DeliveryMessage>, env: unknown) {
    return consumeEventQueue(batch, env, () => connectFor(env));
  },
};
