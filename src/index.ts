import type { ExecutionContext } from "hono";
import { createApp, runScheduledJob } from "./app";

const app = createApp();

/**
 * The Worker: one app (and one GraphQL schema) per isolate, and the daily rollup check. `Env` is
 * generated from wrangler.toml by `npm run types` (wrangler types); src/env.ts still parses it.
 */
export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
  scheduled(controller: { scheduledTime: number }, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(runScheduledJob(env, { scheduledTime: controller.scheduledTime }));
  },
};
