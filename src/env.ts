import { z } from "zod";
import type { RateLimiter } from "./http/rate-limit";
import { type CardSigningKey, parseCardSigningKeys } from "./modules/cards/card-code";
import type { AuthConfig } from "./modules/credentials/authenticate";
import { isSecretKey } from "./modules/events/secret-box";
import type { Language } from "./shared/request-scope";

const rateLimiterBinding = z
  .custom<RateLimiter>((value) => typeof (value as RateLimiter | undefined)?.limit === "function")
  .optional();

/** A payment channel's HMAC secret is at least this long. */
export const MIN_CHANNEL_SECRET_LENGTH = 16;

/**
 * `PAYMENT_CHANNEL_SECRETS` read: JSON mapping channel codes to secrets, each long enough. A problem
 * names the channel at fault, never a secret or its length.
 */
function channelSecrets(text: string, ctx: z.core.$RefinementCtx<string>): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    ctx.addIssue({
      code: "custom",
      message: 'must be a JSON object mapping channel codes to secrets ({"BRIVA": "..."})',
    });
    return {};
  }
  const secrets: Record<string, string> = {};
  for (const [channel, secret] of Object.entries(parsed)) {
    if (!/^[A-Z0-9_]{2,40}$/.test(channel)) {
      ctx.addIssue({ code: "custom", message: `"${channel.slice(0, 40)}" is not a channel code (A-Z, 0-9, _)` });
    } else if (typeof secret !== "string" || secret.length < MIN_CHANNEL_SECRET_LENGTH) {
      ctx.addIssue({
        code: "custom",
        message: `the ${channel} secret must be a string of at least ${MIN_CHANNEL_SECRET_LENGTH} characters`,
      });
    } else {
      secrets[channel] = secret;
    }
  }
  return secrets;
}

/** `CARD_SIGNING_KEYS` read (modules/cards/card-code.ts); a problem never quotes a key. */
function cardSigningKeys(text: string, ctx: z.core.$RefinementCtx<string>): CardSigningKey[] {
  const parsed = parseCardSigningKeys(text);
  if ("problem" in parsed) {
    ctx.addIssue({ code: "custom", message: parsed.problem });
    return [];
  }
  return parsed.keys;
}

/**
 * A configuration the Worker cannot run with. Each problem starts with the binding it is about and
 * says what is wrong with it, never its value: safe for logs and for `/health`.
 */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Worker configuration: ${problems.join("; ")}`);
    this.name = "ConfigurationError";
  }

  /** The bindings at fault, each once. */
  get bindings(): string[] {
    return [...new Set(this.problems.map((problem) => problem.split(":")[0] ?? problem))];
  }
}

/**
 * Secrets production cannot run without: unsealed partner signing secrets would be readable by
 * anyone with a copy of the database, and without channel secrets no payment could be confirmed.
 */
const requiredInProduction = {
  WEBHOOK_SECRET_KEY: "required in production (32 random bytes, base64: openssl rand -base64 32)",
  PAYMENT_CHANNEL_SECRETS: 'required in production ({"BRIVA": "<secret>", ...})',
} as const;

/** Worker bindings and secrets, parsed once per isolate; a misconfiguration fails loudly. */
const bindingsSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  /** Messages' language when a request's Accept-Language names neither `id` nor `en`. */
  DEFAULT_LANGUAGE: z.enum(["id", "en"]).default("id"),
  /** Token `client_id`s of first-party apps, which may run registered operations only (trusted documents). */
  FIRST_PARTY_CLIENTS: z
    .string()
    .default("jmo")
    .transform(
      (text) =>
        new Set(
          text
            .split(",")
            .map((client) => client.trim())
            .filter(Boolean),
        ),
    ),
  /** Secret in production (`wrangler secret put DATABASE_URL`); `.dev.vars` locally. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Optional Cloudflare Hyperdrive binding; its connection string wins over DATABASE_URL. */
  HYPERDRIVE: z.object({ connectionString: z.string().min(1) }).optional(),
  /**
   * A read replica (Neon read replica, or a PostgreSQL standby) for the reads that tolerate
   * seconds of lag: dashboards and reports (docs/operators.md, "Read replicas"). Without it they
   * read the primary.
   */
  DATABASE_REPLICA_URL: z.string().min(1).optional(),
  /** The replica through its own Hyperdrive binding; wins over DATABASE_REPLICA_URL. */
  HYPERDRIVE_REPLICA: z.object({ connectionString: z.string().min(1) }).optional(),
  /**
   * Milliseconds a report that counts people live may run before the database cancels it and the
   * caller is asked to narrow it (docs/operators.md, "Reports that count live").
   */
  REPORT_BUDGET_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** `host:port/path` of a plain-WebSocket proxy to PostgreSQL (local development and tests only). */
  DATABASE_WS_PROXY: z.string().min(1).optional(),
  /** `npm run dev` serves GraphiQL's assets from an npm package here (development only, no CDN). */
  GRAPHIQL_ASSETS_URL: z.url().optional(),
  /** HS256 secret for Bearer tokens (secret in production; `.dev.vars` or `npm run dev` locally). */
  JWT_SECRET: z.string().min(32, "needs at least 32 characters").optional(),
  /** The identity provider's JWKS in production (RS256/ES256); wins over JWT_SECRET. */
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** Secret: 32 random bytes, base64 (`openssl rand -base64 32`): seals webhook signing secrets at rest. */
  WEBHOOK_SECRET_KEY: z
    .string()
    .refine(isSecretKey, "must be 32 random bytes, base64-encoded (openssl rand -base64 32)")
    .optional(),
  /** Secret: `{"BRIVA": "<secret>", ...}`, one HMAC secret per payment channel for its webhook. */
  PAYMENT_CHANNEL_SECRETS: z.string().transform(channelSecrets).optional(),
  /**
   * Secret: `<kid>:<base64 key>[,<kid>:<base64 key>…]`, the keys membership cards' verification codes
   * are signed with (the first) and checked with (all): rotation puts a new key first. Without it no
   * code is issued or checked (MISCONFIGURED on those fields only).
   */
  CARD_SIGNING_KEYS: z.string().transform(cardSigningKeys).optional(),
  /** Workers rate-limiting binding (`[[ratelimits]]`); an in-memory window stands in without it. */
  RATE_LIMITER: rateLimiterBinding,
  /** `verifyMembershipCard` per client (`[[ratelimits]]`); an in-memory window stands in without it. */
  CARD_VERIFY_LIMITER: rateLimiterBinding,
  /** Counts failed authentications per client address (`[[ratelimits]]`); in memory without it. */
  AUTH_FAILURE_LIMITER: rateLimiterBinding,
  /** Browser origins allowed to call the API (comma-separated, exact `https://app.example.id`); none by default. */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? "")
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
    )
    .pipe(z.array(z.url().regex(/^https?:\/\/[^/]+$/, "origins are scheme://host[:port], nothing after"))),
  /**
   * Outside Cloudflare only: take the client address from X-Forwarded-For, for a Node server behind
   * a proxy that sets it. Never on Workers, where CF-Connecting-IP is the address.
   */
  TRUST_X_FORWARDED_FOR: z.enum(["true", "false"]).default("false"),
});

export type DatabaseRoute =
  | { driver: "neon"; url: string; webSocketProxy: string | undefined }
  | { driver: "hyperdrive"; url: string };

export interface AppEnv {
  environment: "development" | "test" | "production";
  defaultLanguage: Language;
  firstPartyClients: ReadonlySet<string>;
  graphiqlAssetsUrl: string | undefined;
  /** Neon (WebSocket) by default; node-postgres over TCP when a Hyperdrive binding is present. */
  database: DatabaseRoute;
  /** Where lag-tolerant reads go; absent: the primary. */
  replica?: DatabaseRoute;
  /** How long a live-count report may run (REPORT_BUDGET_MS). */
  reportBudgetMs: number;
  auth: AuthConfig;
  rateLimiter: RateLimiter | undefined;
  authFailureLimiter: RateLimiter | undefined;
  cardVerifyLimiter: RateLimiter | undefined;
  /** Membership card codes' keys, the signing one first; empty when CARD_SIGNING_KEYS is unset. */
  cardSigningKeys: readonly CardSigningKey[];
  corsAllowedOrigins: readonly string[];
  trustForwardedFor: boolean;
  paymentChannelSecrets: ReadonlyMap<string, string>;
  /** Seals webhook signing secrets at rest (events/secret-box.ts); required in production; unset elsewhere, they are stored as they are. */
  webhookSecretKey: string | undefined;
}

export function parseEnv(bindings: unknown): AppEnv {
  const given = (bindings ?? {}) as Record<string, unknown>;
  const parsed = bindingsSchema.safeParse(given);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join(".") || "bindings"}: ${issue.message}`);
  // One problem per binding: a missing one is reported as missing, not also as malformed.
  const missing = (name: string) =>
    (given[name] === undefined || given[name] === "") && !problems.some((problem) => problem.startsWith(`${name}:`));
  const environment = parsed.success ? parsed.data.ENVIRONMENT : (given.ENVIRONMENT ?? "production");
  if (environment === "production") {
    for (const [name, rule] of Object.entries(requiredInProduction)) {
      if (missing(name)) problems.push(`${name}: ${rule}`);
    }
  }
  if (given.HYPERDRIVE === undefined && missing("DATABASE_URL")) {
    problems.push("DATABASE_URL: required (or a HYPERDRIVE binding)");
  }
  if (!parsed.success || problems.length > 0) throw new ConfigurationError(problems);
  const env = parsed.data;
  const common = {
    environment: env.ENVIRONMENT,
    defaultLanguage: env.DEFAULT_LANGUAGE,
    firstPartyClients: env.FIRST_PARTY_CLIENTS,
    graphiqlAssetsUrl: env.GRAPHIQL_ASSETS_URL,
    auth: {
      ...(env.JWT_SECRET ? { jwtSecret: env.JWT_SECRET } : {}),
      ...(env.JWT_JWKS_URL ? { jwksUrl: env.JWT_JWKS_URL } : {}),
      ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
      ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
    },
    rateLimiter: env.RATE_LIMITER,
    authFailureLimiter: env.AUTH_FAILURE_LIMITER,
    cardVerifyLimiter: env.CARD_VERIFY_LIMITER,
    cardSigningKeys: env.CARD_SIGNING_KEYS ?? [],
    corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS,
    trustForwardedFor: env.TRUST_X_FORWARDED_FOR === "true",
    paymentChannelSecrets: new Map(Object.entries(env.PAYMENT_CHANNEL_SECRETS ?? {})),
    webhookSecretKey: env.WEBHOOK_SECRET_KEY,
    reportBudgetMs: env.REPORT_BUDGET_MS,
  };
  const replica: DatabaseRoute | undefined = env.HYPERDRIVE_REPLICA
    ? { driver: "hyperdrive", url: env.HYPERDRIVE_REPLICA.connectionString }
    : env.DATABASE_REPLICA_URL
      ? { driver: "neon", url: env.DATABASE_REPLICA_URL, webSocketProxy: env.DATABASE_WS_PROXY }
      : undefined;
  const withReplica = { ...common, ...(replica ? { replica } : {}) };
  if (env.HYPERDRIVE)
    return { ...withReplica, database: { driver: "hyperdrive", url: env.HYPERDRIVE.connectionString } };
  if (!env.DATABASE_URL) throw new ConfigurationError(["DATABASE_URL: required (or a HYPERDRIVE binding)"]);
  return { ...withReplica, database: { driver: "neon", url: env.DATABASE_URL, webSocketProxy: env.DATABASE_WS_PROXY } };
}
