import { neonConfig, Pool } from "@neondatabase/serverless";
import type { Logger } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { relations } from "./relations";

export type Database = ReturnType<typeof openDatabase>["db"];

/**
 * Routes the Neon driver's WebSocket through a plain `ws://` proxy (`host:port/v1`) instead of
 * Neon's own TLS endpoint: how the embedded PGlite and a local PostgreSQL are reached.
 */
export function useWebSocketProxy(proxy: string): void {
  neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** One pool per request: Workers cannot share sockets across requests, so the caller ends it. */
export function openDatabase(connectionString: string, logger?: Logger) {
  const pool = new Pool({ connectionString, max: 4 });
  const db = drizzle({ client: pool, relations, ...(logger ? { logger } : {}) });
  return { db, pool };
}
