import type { ExecutionContext } from "hono";
import { connectFor, createApp, runScheduledJob } from "./app";
import { consumeEventQueue, relayEvents } from "./events-worker";
import { consumeIdentityQueue, IDENTITY_QUEUE_NAME, relayIdentity } from "./identity-worker";
import type { DeliveryMessage, QueueBatch } from "./modules/events/queue";
import type { IdentityCheckMessage } from "./modules/identity/queue";
import { systemClock } from "./shared/clock";

const app = createApp();

/** Every minute: the outbox sweep (see wrangler.toml). */
const RELAY_CRON = "* * * * *";
/** Every 10 minutes: carries forward a daily run that needed more than one invocation (a no-op once it is done). */
const DAILY_JOB_CONTINUATION_CRON = "*/10 * * * *";

/**
 * The Worker: one app (and one GraphQL schema) per isolate, the daily rollup check, and partner
 * events. `Env` is generated from wrangler.toml by `npm run types` (wrangler types); src/env.ts
 * still parses it.
 */
export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
  scheduled(controller: { cron?: string; scheduledTime: number }, env: Env, ctx: ExecutionContext) {
    if (controller.cron === RELAY_CRON) {
      ctx.waitUntil(relayEvents(env, () => connectFor(env), systemClock));
      ctx.waitUntil(relayIdentity(env, () => connectFor(env), systemClock));
      return;
    }
    if (controller.cron === DAILY_JOB_CONTINUATION_CRON) {
      ctx.waitUntil(runScheduledJob(env, { scheduledTime: controller.scheduledTime }));
      return;
    }
    // The daily job (event calendar, duplicate search, rollups, upkeep) runs "at" the instant it
    // was scheduled for, so a late start changes nothing; its events leave with the next sweep.
    ctx.waitUntil(runScheduledJob(env, { scheduledTime: controller.scheduledTime }));
  },
  queue(batch: QueueBatch<DeliveryMessage> | QueueBatch<IdentityCheckMessage>, env: Env) {
    if (batch.queue === IDENTITY_QUEUE_NAME) {
      return consumeIdentityQueue(batch as QueueBatch<IdentityCheckMessage>, env, () => connectFor(env), systemClock);
    }
    return consumeEventQueue(batch as QueueBatch<DeliveryMessage>, env, () => connectFor(env), systemClock);
  },
};
