/**
 * How a Node script reaches a PostgreSQL URL. Neon is reached through Neon's serverless driver
 * over its own secure WebSocket (the production path); any other PostgreSQL — a managed one, the
 * machine's own on 127.0.0.1:5432, or the embedded PGlite, which speaks the wire protocol on a
 * loopback socket — directly with node-postgres over TCP, TLS as the URL's `sslmode` asks. The
 * local WebSocket proxy is never on a script's path: it only lets the Worker's Neon driver reach
 * a loopback database (`npm run dev`, tests).
 */
export type NodeRoute = { driver: "neon-websocket" } | { driver: "tcp"; tls: boolean };

/** Neon's endpoints: `ep-…[-pooler].<region>.aws.neon.tech` (and the Azure ones). */
const NEON_HOST = /(^|\.)neon\.tech$/i;

export function nodeRouteFor(url: string): NodeRoute {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("not a PostgreSQL URL (postgres://user:password@host:port/database)");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`not a PostgreSQL URL: protocol ${parsed.protocol}`);
  }
  if (NEON_HOST.test(parsed.hostname)) return { driver: "neon-websocket" };
  const sslmode = parsed.searchParams.get("sslmode");
  return { driver: "tcp", tls: sslmode !== null && sslmode !== "disable" };
}

/**
 * The database URL a script works on: `DATABASE_URL` from the environment, or a positional
 * argument. A URL with a password on the command line is visible to every user through `ps`, so
 * the scripts say so (and the documentation never does it).
 */
export function scriptDatabaseUrl(positional: string | undefined): string | undefined {
  if (positional) {
    try {
      if (new URL(positional).password) {
        console.warn(
          "warning: a password on the command line is visible in `ps`; prefer DATABASE_URL in the environment",
        );
      }
    } catch {
      // nodeRouteFor reports the malformed URL.
    }
    return positional;
  }
  return process.env.DATABASE_URL;
}
