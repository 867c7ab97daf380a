import { neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import ws from "ws";
import { openDatabase, useWebSocketProxy } from "../src/db/client";
import { type Relations, relations } from "../src/db/relations";
import { nodeRouteFor } from "./database-route";
import { applyMigrations } from "./migrator";
import { startWebSocketProxy } from "./ws-proxy";

let proxy: Promise<{ port: number; close(): Promise<void> }> | undefined;

/**
 * The in-process WebSocket proxy that lets the Worker's Neon driver reach a loopback PostgreSQL
 * (the embedded PGlite in `npm run dev` and tests, or the machine's own). Scripts never use it.
 */
export async function nodeProxy(): Promise<{ port: number; close(): Promise<void> }> {
  proxy ??= startWebSocketProxy().then((started) => {
    neonConfig.webSocketConstructor = ws;
    useWebSocketProxy(`127.0.0.1:${started.port}/v1`);
    return started;
  });
  return proxy;
}

/**
 * Scripts read `execute()` results as node-postgres `QueryResult`s; the Neon driver returns the
 * same shape (it is node-postgres' API over a WebSocket), so both are typed as node-postgres.
 */
export type ScriptDatabase = NodePgDatabase<Relations>;

export interface NodeConnection {
  db: ScriptDatabase;
  /** Applies the checked-in drizzle-kit migrations, each in its own transaction (scripts/migrator.ts). */
  migrate(migrationsFolder: string, log?: (line: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** A script's connection to `url`, by the route `nodeRouteFor` decides (see scripts/database-route.ts). */
export async function connectNode(url: string): Promise<NodeConnection> {
  const route = nodeRouteFor(url);
  if (route.driver === "neon-websocket") {
    neonConfig.webSocketConstructor = ws;
    const { db, pool } = openDatabase(url);
    return {
      db: db as unknown as ScriptDatabase,
      migrate: (migrationsFolder, log) => migrateOn(pool, migrationsFolder, log),
      close: () => pool.end(),
    };
  }
  const pool = nodePool(url, 4);
  const db = drizzlePg({ client: pool, relations });
  return {
    db,
    migrate: (migrationsFolder, log) => migrateOn(pool, migrationsFolder, log),
    close: () => pool.end(),
  };
}

/**
 * A node-postgres pool that survives the server ending its connections. `pool.end()` resolves
 * before its sockets have closed, so a database dropped WITH (FORCE) right after (every test
 * file's teardown) can still end a connection the pool is letting go of: without a listener,
 * node-postgres throws that as an uncaught exception.
 */
export function nodePool(url: string, max: number): pg.Pool {
  // node-postgres reads `sslmode` from the URL itself (verify-full for `require` since pg 8).
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle connection the server ends (a test database dropped WITH (FORCE), a restart) is
  // replaced on next use.
  pool.on("error", (error) => console.warn(`idle database connection lost: ${error.message}`));
  // A connection lost while in use (the server restarted or terminated it) fails its query, which
  // is how the caller hears of it; node-postgres also emits it on the client, unhandled otherwise.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Runs the migrator on one connection of `pool`, held for the whole run and then given back. */
async function migrateOn(
  pool: { connect(): Promise<{ query(text: string): Promise<{ rows: unknown[] }>; release(): void }> },
  migrationsFolder: string,
  log?: (line: string) => void,
): Promise<void> {
  const client = await pool.connect();
  try {
    await applyMigrations(
      { query: async (text) => ({ rows: (await client.query(text)).rows as Record<string, unknown>[] }) },
      migrationsFolder,
      log,
    );
  } finally {
    client.release();
  }
}

export async function closeNodeProxy(): Promise<void> {
  if (!proxy) return;
  const started = await proxy;
  proxy = undefined;
  await started.close();
}
