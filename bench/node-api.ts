import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { nodeProxy } from "../scripts/node-database";
import { createApp } from "../src/app";
import { relations } from "../src/db/relations";
import { memoryRateLimiter } from "../src/http/rate-limit";
import { BENCH_CHANNEL_SECRETS, BENCH_JWT_SECRET, BENCH_WEBHOOK_SECRET_KEY } from "./settings";

/**
 * This API as the bench runs it on Node (the `api` contender, and bench/profile.ts): the same Hono
 * app as the Worker, production settings, a long-lived pool of 10 node-postgres connections instead
 * of a connection per request (on which the read planner's statements stay prepared), no operation logs (stdout is the harness's channel), a rate limit no
 * benchmark reaches. `onStatement` sees every SQL statement.
 */
export async function nodeApi(url: string, onStatement?: () => void) {
  const proxy = await nodeProxy();
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const app = createApp({
    log: () => {},
    database: (_env, logger) => ({
      db: drizzle({ client: pool, relations, ...(logger ? { logger } : {}) }),
      end: async () => {},
      // A long-lived pool of this process's own: the planner's statements stay prepared on it.
      preparedStatements: true,
    }),
    ...(onStatement ? { queryLogger: { logQuery: onStatement } } : {}),
    rateLimiter: memoryRateLimiter({ limit: 1e9, periodSeconds: 60 }),
  });
  const env = {
    ENVIRONMENT: "production",
    DATABASE_URL: url,
    DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1`,
    JWT_SECRET: BENCH_JWT_SECRET,
    PAYMENT_CHANNEL_SECRETS: JSON.stringify(BENCH_CHANNEL_SECRETS),
    WEBHOOK_SECRET_KEY: BENCH_WEBHOOK_SECRET_KEY,
  };
  return {
    fetch: (request: Request) => app.fetch(request, env),
    async close() {
      await pool.end();
      await proxy.close();
    },
  };
}
