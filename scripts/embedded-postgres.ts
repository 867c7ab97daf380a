import { PGlite } from "@electric-sql/pglite";
import { servePglite } from "./pglite-server";

export interface EmbeddedPostgres {
  db: PGlite;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (PostgreSQL in WebAssembly) behind a TCP socket: a real PostgreSQL wire protocol on
 * loopback, with no installation. PGlite is one session, so clients take turns a whole exchange or
 * transaction at a time (scripts/pglite-server.ts): any number may connect, none is refused or
 * sees another's half-done work. Races and throughput need a real PostgreSQL.
 */
export async function startEmbeddedPostgres(options: {
  dataDir?: string;
  loadDataDir?: Blob | File;
  port?: number;
}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const server = await servePglite(db, { port: options.port ?? 0, host: "127.0.0.1" });
  const port = server.port;
  return {
    db,
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
