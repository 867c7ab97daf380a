import { createApp, runScheduledJob } from "./app";

const app = createApp();

/** The Worker: one app (and one GraphQL schema) per isolate, and the daily rollup check. */
export default {
  fetch: app.fetch,
  scheduled(_controller: unknown, env: unknown, ctx: { waitUntil(promise: Promise<unknown>): void }) {
    ctx.waitUntil(runScheduledJob(env));
  },
};
