import { neonConfig, Pool } from "@neondatabase/serverless";
import type { Logger } from "drizzle-orm";
import { drizzle as drizzleNeon } from "drizzle-orm/neon-serverless";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgAsyncDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { Client } from "pg";
import { type Relations, relations } from "./relations";

/** The Drizzle client resolvers and stores use, whichever driver carries it. */
export type Database = PgAsyncDatabase<PgQueryResultHKT, Relations>;

/** A transaction handed to `db.transaction(tx => ...)`; stores accept either. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type Executor = Database | Transaction;

export interface DatabaseConnection {
  db: Database;
  /** Closes the connection; the Worker calls it through `waitUntil` after the response. */
  end(): Promise<void>;
}

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

/**
 * Neon's serverless driver over WebSockets (Neon in production, the proxy locally). One pool per
 * request: Workers cannot share sockets across requests, so the caller ends it.
 */
export function openDatabase(connectionString: string, logger?: Logger) {
  const pool = new Pool({ connectionString, max: 4 });
  // An idle connection that drops (the server restarted, the proxy closed) must not crash the
  // isolate as an unhandled 'error' event; the next query opens a new one.
  pool.on("error", (error: { message?: unknown }) =>
    console.warn({ level: "warn", event: "database.idle-connection-lost", message: String(error?.message ?? error) }),
  );
  const db = drizzleNeon({ client: pool, relations, ...(logger ? { logger } : {}) });
  return { db, pool, end: () => pool.end() } satisfies DatabaseConnection & { pool: Pool };
}

/**
 * Any PostgreSQL behind Cloudflare Hyperdrive: Hyperdrive speaks TCP (node-postgres over
 * `cloudflare:sockets`), not Neon's WebSocket protocol, and pools connections itself.
 */
export function openHyperdriveDatabase(connectionString: string, logger?: Logger): DatabaseConnection {
  const client = new Client({ connectionString });
  const connected = client.connect();
  const db: Database = drizzlePg({ client, relations, ...(logger ? { logger } : {}) });
  // node-postgres queues queries until the connection is up; surface a failed connect through them.
  connected.catch(() => undefined);
  return { db, end: () => connected.then(() => client.end()).catch(() => undefined) };
}
