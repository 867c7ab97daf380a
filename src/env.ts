import { z } from "zod";

/** Worker bindings and secrets, parsed once per isolate; a misconfiguration fails loudly. */
const bindingsSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  /** Secret in production (`wrangler secret put DATABASE_URL`); `.dev.vars` locally. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Optional Cloudflare Hyperdrive binding; its connection string wins over DATABASE_URL. */
  HYPERDRIVE: z.object({ connectionString: z.string().min(1) }).optional(),
  /** `host:port/path` of a plain-WebSocket proxy to PostgreSQL (local development and tests only). */
  DATABASE_WS_PROXY: z.string().min(1).optional(),
});

export interface AppEnv {
  environment: "development" | "test" | "production";
  /** Neon (WebSocket) by default; node-postgres over TCP when a Hyperdrive binding is present. */
  database: { driver: "neon"; url: string; webSocketProxy: string | undefined } | { driver: "hyperdrive"; url: string };
}

export function parseEnv(bindings: unknown): AppEnv {
  const parsed = bindingsSchema.safeParse(bindings ?? {});
  if (!parsed.success) {
    throw new Error(`Invalid Worker configuration: ${z.prettifyError(parsed.error)}`);
  }
  const env = parsed.data;
  if (env.HYPERDRIVE) {
    return { environment: env.ENVIRONMENT, database: { driver: "hyperdrive", url: env.HYPERDRIVE.connectionString } };
  }
  if (!env.DATABASE_URL)
    throw new Error("Invalid Worker configuration: DATABASE_URL (or a HYPERDRIVE binding) is required");
  return {
    environment: env.ENVIRONMENT,
    database: { driver: "neon", url: env.DATABASE_URL, webSocketProxy: env.DATABASE_WS_PROXY },
  };
}
