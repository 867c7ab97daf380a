import type { Duplex } from "node:stream";
import { neonConfig, Pool } from "@neondatabase/serverless";
import type { Logger } from "drizzle-orm";
import { drizzle as drizzleNeon } from "drizzle-orm/neon-serverless";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgAsyncDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { Client, type ClientConfig } from "pg";
// Resolves to the real socket only under the `workerd` export condition (an empty module in Node).
import * as pgCloudflare from "pg-cloudflare";
import { type Relations, relations } from "./relations";

/** The Drizzle client resolvers and stores use, whichever driver carries it. */
export type Database = PgAsyncDatabase<PgQueryResultHKT, Relations>;

/** A transaction handed to `db.transaction(tx => ...)`; stores accept either. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type Executor = Database | Transaction;

export interface DatabaseConnection {
  db: Database;
  /**
   * True only for a connection that outlives the request and is this process's alone (a Node
   * pool): the read planner may then leave named statements prepared on it.
   */
  preparedStatements?: boolean;
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
 * `cloudflare:sockets`), not Neon's WebSocket protocol, and pools connections itself, so a Worker's
 * "new connection" is a few hundred microseconds to Hyperdrive's nearby pooler, not a TLS and
 * PostgreSQL handshake to the database.
 */
export function openHyperdriveDatabase(connectionString: string, logger?: Logger): DatabaseConnection {
  const client = new Client({ connectionString, ...cloudflareSocket() });
  // A socket that closes under the client (Hyperdrive recycled it) reports an 'error' event; without
  // a listener that event would throw inside a promise, an unhandled rejection in the isolate. The
  // request's own queries have already seen any failure that concerned them. pg-cloudflare also
  // reports its reader's "socket has been closed" after our own `end()`: that one is expected.
  let ending = false;
  client.on("error", (error: { message?: unknown }) => {
    if (ending) return;
    console.warn({ level: "warn", event: "database.connection-lost", message: String(error?.message ?? error) });
  });
  const connected = client.connect();
  const db: Database = drizzlePg({ client, relations, ...(logger ? { logger } : {}) });
  // node-postgres queues queries until the connection is up; surface a failed connect through them.
  connected.catch(() => undefined);
  const end = () => {
    ending = true;
    return connected.then(() => client.end()).catch(() => undefined);
  };
  return { db, end };
}

/**
 * node-postgres picks Cloudflare's socket by sniffing the runtime and `require`-ing pg-cloudflare,
 * which module runners that bundle for workerd (the vitest pool) do not always resolve; naming the
 * socket here makes it explicit wherever `pg-cloudflare` resolves to the real one. In Node it is the
 * empty module and node-postgres keeps its own `net.Socket`.
 */
function cloudflareSocket(): Pick<ClientConfig, "stream"> {
  // Typed as the module Node resolves (empty); under workerd it exports the socket class, which
  // implements the part of a Duplex node-postgres uses.
  const { CloudflareSocket } = pgCloudflare as { CloudflareSocket?: new (ssl: boolean) => Duplex };
  // node-postgres hands the stream factory its connection settings: TLS only where they ask for it.
  return CloudflareSocket
    ? { stream: (settings?: ClientConfig) => corkable(new CloudflareSocket(Boolean(settings?.ssl))) }
    : {};
}

/**
 * node-postgres sends a parameterised query as four or five messages (Parse, Bind, Describe,
 * Execute, Sync) between `cork()` and `uncork()`, where Node's socket coalesces them; pg-cloudflare's
 * socket has neither, so each message became its own write through the socket's stream (a promise,
 * a chunk, a TCP send). Held while corked and written once on uncork: one write per query
 * (bench/PROFILE.md, the Worker's profile).
 */
export function corkable(socket: Duplex): Duplex {
  const write = socket.write.bind(socket) as (chunk: Uint8Array | string, ...rest: unknown[]) => boolean;
  let held: Uint8Array[] | null = null;
  return Object.assign(socket, {
    cork() {
      held ??= [];
    },
    uncork() {
      const chunks = held;
      held = null;
      if (chunks?.length === 1 && chunks[0]) write(chunks[0]);
      else if (chunks && chunks.length > 1) write(Buffer.concat(chunks));
    },
    write(chunk: Uint8Array | string, ...rest: unknown[]) {
      if (held === null) return write(chunk, ...rest);
      held.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      return true;
    },
  });
}
