import type { Logger } from "drizzle-orm";
import { sql } from "drizzle-orm";
import { parse } from "graphql";
import type { Context as HonoContext } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import {
  type Database,
  type DatabaseConnection,
  openDatabase,
  openHyperdriveDatabase,
  useWebSocketProxy,
} from "./db/client";
import { type AppEnv, ConfigurationError, parseEnv } from "./env";
import { relayEvents } from "./events-worker";
import { GRAPHIQL_BUNDLE_PATH, yogaFor } from "./graphql-server";
import {
  type AuthFailureGuard,
  authFailureGuard,
  type CredentialFingerprint,
  credentialFingerprint,
  oncePerWindow,
} from "./http/auth-failures";
import { memoryRateLimiter, type RateLimiter } from "./http/rate-limit";
import { authenticate } from "./modules/access/authenticate";
import { anonymous, type Viewer } from "./modules/access/rules";
import { mutationOf, recordRefusals } from "./modules/audit/refusals";
import { foldLapsedRollups, verifyRollups } from "./modules/dashboard/service";
import { handleEnrollmentCsv } from "./modules/enrollments/csv-upload";
import { sponsorReceiptsCsv, sponsorWorkersCsv } from "./modules/enrollments/reports";
import { eventQueuesOf } from "./modules/events/bindings";
import { handlePaymentWebhook } from "./modules/payments/webhook";
import { type Clock, systemClock } from "./shared/clock";
import { AccessDenied, type AccessRefusal, httpStatusOf } from "./shared/errors";
import { languageFromHeader, msg, render, say } from "./shared/messages";
import { currentLanguage, currentRequestId, mutationRan, runWithRequestId } from "./shared/request-scope";

export interface AppOptions {
  /**
   * Where requests get their database. Workers open one connection per request (the default);
   * a long-lived Node server passes a shared pool here instead.
   */
  database?: (env: AppEnv, logger?: Logger) => DatabaseConnection;
  /** Stands in for the Workers rate-limiting binding when there is none (Node, tests). */
  rateLimiter?: RateLimiter;
  /** Counts failed authentications when there is no AUTH_FAILURE_LIMITER binding (Node, tests). */
  authFailures?: AuthFailureGuard;
  /** "Today" for status rules; tests pin it. */
  clock?: Clock;
  /** Sees every SQL statement (tests count round trips with it). */
  queryLogger?: Logger;
  /** Where structured logs go: console.log by default (Workers Logs); tests collect them. */
  log?: (entry: object) => void;
  /** false turns the read planner off: the differential tests compare its answers with the executor's. */
  planReads?: boolean;
}

const consoleLog = (entry: object) => console.log(entry);

type AppBindings = { Bindings: Record<string, unknown>; Variables: { requestId: string; env: AppEnv } };

/** Runs `work` after the response: `waitUntil` on Workers, in the background under Node. */
function afterResponse(c: HonoContext<AppBindings>, work: Promise<unknown>): void {
  const settled = work.catch((error: unknown) => console.error("after-response work failed", error));
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // Node servers and tests have no ExecutionContext: the promise simply runs on.
  }
}

let parsedEnv: { bindings: unknown; env: AppEnv } | { bindings: unknown; error: ConfigurationError } | undefined;

/**
 * Bindings are fixed for an isolate's lifetime, so they are parsed once; a misconfiguration is
 * found once too, logged once with every binding at fault, and thrown again for each request.
 */
function envFor(bindings: unknown): AppEnv {
  const cached = parsedEnv;
  if (cached && cached.bindings === bindings) {
    if ("error" in cached) throw cached.error;
    return cached.env;
  }
  try {
    const env = parseEnv(bindings);
    parsedEnv = { bindings, env };
    return env;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    parsedEnv = { bindings, error };
    console.error(
      JSON.stringify({ level: "error", event: "config.invalid", bindings: error.bindings, problems: error.problems }),
    );
    throw error;
  }
}

/**
 * The answer to every request while the Worker is misconfigured: 503, naming the bindings at fault
 * (never their values), instead of a masked 500. `/health` lists each problem for the operator.
 */
function misconfigured(c: HonoContext<AppBindings>, requestId: string, error: ConfigurationError): Response {
  const language = languageFromHeader(c.req.header("accept-language"), "id");
  const message = render(msg("MISCONFIGURED.bindings", { bindings: error.bindings.join(", ") }), language);
  const headers = { "x-request-id": requestId, "content-language": language, "retry-after": "60" };
  if (c.req.path === "/health") {
    return c.json({ status: "misconfigured", configuration: error.problems, requestId }, 503, headers);
  }
  if (c.req.path === "/graphql") {
    return c.json({ errors: [{ message, extensions: { code: "MISCONFIGURED", requestId } }] }, 503, headers);
  }
  return c.json({ error: { code: "MISCONFIGURED", message, requestId } }, 503, headers);
}

/** A connection for one request, through the driver the bindings call for. */
function connectPerRequest(env: AppEnv, logger?: Logger): DatabaseConnection {
  const { database } = env;
  if (database.driver === "hyperdrive") return openHyperdriveDatabase(database.url, logger);
  if (database.webSocketProxy) useWebSocketProxy(database.webSocketProxy);
  return openDatabase(database.url, logger);
}

/** Large enough for a 10,000-row sponsored enrollment, small enough to refuse abuse. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * A request refused before it ran, in the shape of its endpoint: GraphQL's `errors` on /graphql,
 * the REST routes' one `error` object elsewhere; both carry the code and the request id.
 */
function refusalResponse(
  c: HonoContext<AppBindings>,
  status: 401 | 403 | 413 | 415 | 429,
  code: string,
  message: string,
) {
  const requestId = c.var.requestId;
  if (c.req.path === "/graphql") return c.json({ errors: [{ message, extensions: { code, requestId } }] }, status);
  return c.json({ error: { code, message, requestId } }, status);
}

/** Whether Cloudflare's edge handed us this request (it sets `request.cf`); Node servers and tests are not. */
function onCloudflare(c: HonoContext<AppBindings>): boolean {
  return (c.req.raw as Request & { cf?: unknown }).cf !== undefined;
}

/**
 * The caller's address, from headers only a trusted hop can set: CF-Connecting-IP on Cloudflare,
 * X-Forwarded-For behind a proxy configured as trusted; otherwise unknown (all share one budget).
 */
function clientAddress(c: HonoContext<AppBindings>): string {
  if (onCloudflare(c)) return c.req.header("cf-connecting-ip") ?? "unknown";
  if (c.var.env.trustForwardedFor) return c.req.header("x-forwarded-for")?.split(",")[0]?.trim() || "unknown";
  return "unknown";
}

/** One budget per API key, per token subject, or per client address for anonymous callers. */
function rateLimitKey(viewer: Viewer, address: string): string {
  if (viewer.kind === "user") return viewer.apiKeyId ? `key:${viewer.apiKeyId}` : `sub:${viewer.subject}`;
  return `ip:${address}`;
}

/** The mutation a GraphQL request asks for, if any; read only when a refusal must be audited. */
async function requestedMutation(request: Request): Promise<string | null> {
  try {
    const url = new URL(request.url);
    let query = url.searchParams.get("query");
    let operationName = url.searchParams.get("operationName");
    if (request.method === "POST") {
      const body = (await request.clone().json()) as { query?: unknown; operationName?: unknown };
      query = typeof body.query === "string" ? body.query : null;
      operationName = typeof body.operationName === "string" ? body.operationName : null;
    }
    if (!query) return null;
    const mutation = mutationOf(parse(query, { maxTokens: 3_000 }), operationName);
    const first = mutation?.selectionSet.selections[0];
    return first?.kind === "Field" ? first.name.value : mutation ? "mutation" : null;
  } catch {
    return null;
  }
}

const CORS_ALLOWED_HEADERS = [
  "authorization",
  "x-api-key",
  "content-type",
  "accept",
  "accept-language",
  "idempotency-key",
  "x-graphql-yoga-csrf",
];
export function createApp(options: AppOptions = {}) {
  const clock = options.clock ?? systemClock;
  const connect = options.database ?? connectPerRequest;
  const fallbackLimiter = options.rateLimiter ?? memoryRateLimiter({ limit: 600, periodSeconds: 60 });
  let failureGuard = options.authFailures;
  // Under a flood, the first refusal per caller and window is audited, not every request.
  const firstRefusalInWindow = oncePerWindow(60);
  const app = new Hono<AppBindings>();

  app.use(async (c, next) => {
    // Our own id, never a client's header: a caller could otherwise choose what our logs say.
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    let env: AppEnv;
    try {
      env = envFor(c.env);
    } catch (error) {
      if (error instanceof ConfigurationError) return misconfigured(c, requestId, error);
      throw error;
    }
    c.set("env", env);
    // Resolved once per request; every message of this request is written in it.
    const language = languageFromHeader(c.req.header("accept-language"), env.defaultLanguage);
    await runWithRequestId(requestId, next, language);
    // Set after the handler: responses built by Yoga do not carry Hono's pending headers.
    c.res.headers.set("x-request-id", requestId);
    c.res.headers.set("content-language", language);
    c.res.headers.append("vary", "accept-language");
  });

  // An explicit allowlist (CORS_ALLOWED_ORIGINS); no origin is reflected, and no credentials are
  // allowed: callers authenticate with headers, which a page on another origin cannot add unasked.
  app.use(
    "*",
    cors({
      origin: (origin, c) =>
        (c as HonoContext<AppBindings>).var.env.corsAllowedOrigins.includes(origin) ? origin : null,
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: CORS_ALLOWED_HEADERS,
      exposeHeaders: ["x-request-id"],
      maxAge: 600,
    }),
  );

  app.get("/health", async (c) => {
    const { db, end } = connect(c.var.env);
    try {
      await db.execute(sql`select 1`);
      return c.json({ status: "ok", database: "ok" });
    } catch (error) {
      console.error(JSON.stringify({ level: "error", requestId: c.var.requestId, message: String(error) }));
      return c.json({ status: "degraded", database: "unreachable", requestId: c.var.requestId }, 503);
    } finally {
      afterResponse(c, end());
    }
  });

  // Development only: GraphiQL's ~9 MB bundle, relayed from `npm run dev` (GRAPHIQL_ASSETS_URL), so
  // the page and its bundle come from one origin and port; production answers 404.
  app.get(GRAPHIQL_BUNDLE_PATH, async (c) => {
    const { environment, graphiqlAssetsUrl } = c.var.env;
    if (environment !== "development" || !graphiqlAssetsUrl) return c.notFound();
    const ifNoneMatch = c.req.header("if-none-match");
    const bundle = await fetch(`${graphiqlAssetsUrl}${GRAPHIQL_BUNDLE_PATH}`, {
      headers: ifNoneMatch ? { "if-none-match": ifNoneMatch } : {},
    });
    return new Response(bundle.body, { status: bundle.status, headers: bundle.headers });
  });

  app.use(
    "/webhooks/*",
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) =>
        c.json({ error: { code: "PAYLOAD_TOO_LARGE", message: say("PAYLOAD_TOO_LARGE.notification") } }, 413),
    }),
  );
  app.use(
    "/sponsors/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => refusalResponse(c, 413, "PAYLOAD_TOO_LARGE", say("PAYLOAD_TOO_LARGE", { bytes: MAX_BODY_BYTES })),
    }),
  );
  app.use(
    "/graphql",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => refusalResponse(c, 413, "PAYLOAD_TOO_LARGE", say("PAYLOAD_TOO_LARGE", { bytes: MAX_BODY_BYTES })),
    }),
  );

  /**
   * A refusal before GraphQL runs (bad credential, over a rate): audited when it stopped a
   * mutation, once per caller and window, then answered with its status.
   */
  async function refuse(
    c: HonoContext<AppBindings>,
    db: Database,
    viewer: Viewer,
    refusal: AccessRefusal,
    message: string,
    auditKey: string,
  ): Promise<Response> {
    // Checked before the body is read: a flood of refused requests parses one body per minute.
    if (firstRefusalInWindow(`${refusal}:${auditKey}`)) {
      const operation =
        c.req.path === "/graphql" ? await requestedMutation(c.req.raw) : c.req.method === "POST" ? c.req.path : null;
      if (operation) {
        await recordRefusals(
          db,
          viewer,
          c.var.requestId,
          [{ operation, refusal, reason: message, targetIds: [], clientAddress: clientAddress(c) }],
          clock.now(),
        );
      }
    }
    return refusalResponse(c, httpStatusOf[refusal], refusal, message);
  }

  /** Who is calling, or the response that refuses them (bad credential, or over their rate). */
  async function admit(c: HonoContext<AppBindings>, db: Database): Promise<Viewer | Response> {
    const address = clientAddress(c);
    failureGuard ??= authFailureGuard(c.var.env.authFailureLimiter);
    const guard = failureGuard;
    // The credential's fingerprint (a SHA-256 of it) is taken only when the guard needs it: while
    // something is blocked, or after a failure; never on the way of a request that simply verifies.
    let fingerprint: Promise<CredentialFingerprint | null> | undefined;
    const credentialOf = () => {
      fingerprint ??= credentialFingerprint(c.req.raw.headers);
      return fingerprint;
    };
    const tooManyFailures = say("RATE_LIMITED.signIns");
    // Before any lookup: a credential that keeps failing from this address costs nothing more.
    // Counted per address and credential, so others behind the same address are not held responsible.
    const presented = guard.blocksAny() ? await credentialOf() : null;
    if (presented && guard.isBlocked(address, presented)) {
      return refuse(c, db, anonymous, "RATE_LIMITED", tooManyFailures, `ip:${address}:${presented.family}`);
    }
    let viewer: Viewer;
    try {
      viewer = await authenticate(c.req.raw.headers, c.var.env.auth, db);
    } catch (error) {
      if (!(error instanceof AccessDenied)) throw error;
      const credential = await credentialOf();
      if (credential && (await guard.recordFailure(address, credential))) {
        return refuse(c, db, anonymous, "RATE_LIMITED", tooManyFailures, `ip:${address}:${credential.family}`);
      }
      return refuse(c, db, anonymous, error.refusal, error.message, `ip:${address}:${c.var.requestId}`);
    }
    const limiter = c.var.env.rateLimiter ?? fallbackLimiter;
    const key = rateLimitKey(viewer, address);
    const { success } = await limiter.limit({ key });
    if (!success) return refuse(c, db, viewer, "RATE_LIMITED", say("RATE_LIMITED"), key);
    return viewer;
  }

  // CSRF: a browser may send text/plain or form bodies cross-origin without a preflight; GraphQL
  // POSTs must be JSON, so no such request ever runs an operation.
  app.post("/graphql", async (c, next) => {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      return refusalResponse(c, 415, "UNSUPPORTED_MEDIA_TYPE", say("UNSUPPORTED_MEDIA_TYPE"));
    }
    await next();
  });

  app.on(["GET", "POST", "OPTIONS"], "/graphql", async (c) => {
    let statements = 0;
    const counting: Logger = {
      logQuery(query, params) {
        statements += 1;
        options.queryLogger?.logQuery(query, params);
      },
    };
    const { db, end } = connect(c.var.env, counting);
    try {
      const viewer = await admit(c, db);
      if (viewer instanceof Response) return viewer;
      return await yogaFor(c.var.env.environment).fetch(c.req.raw, {
        db,
        clock,
        requestId: c.var.requestId,
        env: c.var.env,
        language: currentLanguage(),
        viewer,
        statements: () => statements,
        log: options.log ?? consoleLog,
        planReads: options.planReads ?? true,
      });
    } finally {
      // Ending the pool inside Yoga would close it before lazy resolvers run; end it after the response.
      afterResponse(c, end());
      // Only a mutation writes events (the execution noted one ran).
      if (mutationRan()) relayAfterWrite(c);
    }
  });

  /**
   * Events a write committed leave for the queue right after the response, whichever route wrote
   * them (GraphQL, the payment webhook, a CSV upload); the every-minute sweep catches any this
   * misses. Only where a queue is bound.
   */
  function relayAfterWrite(c: HonoContext<AppBindings>): void {
    if (!eventQueuesOf(c.env)) return;
    afterResponse(
      c,
      relayEvents(c.env, () => connect(c.var.env), clock),
    );
  }

  app.post("/sponsors/:sponsorId/enrollments.csv", async (c) => {
    const { db, end } = connect(c.var.env);
    try {
      const viewer = await admit(c, db);
      if (viewer instanceof Response) return viewer;
      const reply = await handleEnrollmentCsv(
        { db, clock, requestId: c.var.requestId, viewer },
        {
          sponsorId: c.req.param("sponsorId"),
          sponsorshipId: c.req.query("sponsorshipId"),
          idempotencyKey: c.req.header("idempotency-key"),
        },
        await c.req.text(),
      );
      if (reply.status === 200) relayAfterWrite(c);
      return c.json(reply.body, reply.status);
    } finally {
      afterResponse(c, end());
    }
  });

  // Sponsor reports as `;`-separated CSV for Indonesian Excel (see enrollments/reports.ts).
  for (const [path, report] of [
    ["/sponsors/:sponsorId/workers.csv", sponsorWorkersCsv],
    ["/sponsors/:sponsorId/receipts.csv", sponsorReceiptsCsv],
  ] as const) {
    app.get(path, async (c) => {
      const { db, end } = connect(c.var.env);
      try {
        const viewer = await admit(c, db);
        if (viewer instanceof Response) return viewer;
        const reply = await report(
          { db, clock, viewer },
          { sponsorId: c.req.param("sponsorId"), from: c.req.query("from"), to: c.req.query("to") },
        );
        if (typeof reply.body !== "string") return c.json(reply.body, reply.status);
        return c.body(reply.body, 200, {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${path.split("/").at(-1)}"`,
        });
      } finally {
        afterResponse(c, end());
      }
    });
  }

  app.post("/webhooks/payments/:channel", async (c) => {
    const { db, end } = connect(c.var.env);
    try {
      const reply = await handlePaymentWebhook(
        { db, clock, requestId: c.var.requestId, secrets: c.var.env.paymentChannelSecrets },
        c.req.param("channel"),
        c.req.header("x-signature"),
        await c.req.text(),
      );
      // A settlement, failure or refund wrote partner events.
      if (reply.status === 200) relayAfterWrite(c);
      return c.json(reply.body, reply.status);
    } finally {
      afterResponse(c, end());
    }
  });

  app.notFound((c) =>
    c.json(
      { error: { code: "NOT_FOUND", message: say("NOT_FOUND.route", { method: c.req.method, path: c.req.path }) } },
      404,
    ),
  );

  app.onError((error, c) => {
    const requestId = currentRequestId() ?? c.get("requestId");
    // An access refusal from a service outside GraphQL (the CSV route): its own status and code.
    if (error instanceof AccessDenied) {
      return c.json({ error: { code: error.refusal, message: error.message, requestId } }, error.httpStatus);
    }
    console.error({
      level: "error",
      event: "http.unexpected-error",
      requestId,
      message: String(error),
      stack: error.stack,
    });
    return c.json({ error: { code: "INTERNAL_SERVER_ERROR", message: say("INTERNAL_SERVER_ERROR"), requestId } }, 500);
  });

  return app;
}

/**
 * The Cron Trigger: verifies every dashboard rollup against a full recount and rebuilds any that
 * drifted (see `verifyRollups`). Logs one structured object per run: what drifted and was
 * repaired, how long it took, and on failure the error with its stack (then fails the run, so
 * the Cron Trigger shows it as failed).
 */
export async function runScheduledJob(
  bindings: unknown,
  options: { log?: (entry: object) => void; scheduledTime?: number; database?: AppOptions["database"] } = {},
): Promise<Record<string, { drift: number; repaired: boolean }>> {
  const log = options.log ?? consoleLog;
  const runId = crypto.randomUUID();
  const startedAt = performance.now();
  const base = {
    event: "cron.rollup-verification",
    runId,
    scheduledTime: options.scheduledTime ? new Date(options.scheduledTime).toISOString() : null,
  };
  const env = envFor(bindings);
  const { db, end } = (options.database ?? connectPerRequest)(env);
  try {
    // Long-lapsed months fold first, so the verification compares the folded rollups.
    const foldedRows = await foldLapsedRollups(db, new Date(options.scheduledTime ?? Date.now()));
    const report = await verifyRollups(db, { repair: true });
    const drifted = Object.entries(report).filter(([, table]) => table.drift > 0);
    log({
      level: drifted.length > 0 ? "warn" : "info",
      ...base,
      outcome: drifted.length > 0 ? "REPAIRED" : "OK",
      durationMs: Math.round(performance.now() - startedAt),
      drifted: Object.fromEntries(drifted.map(([table, { drift }]) => [table, drift])),
      foldedRows,
      report,
    });
    return report;
  } catch (error) {
    log({
      level: "error",
      ...base,
      outcome: "FAILED",
      durationMs: Math.round(performance.now() - startedAt),
      message: String(error),
      stack: (error as Error)?.stack,
    });
    throw error;
  } finally {
    await end();
  }
}

/** A database connection for work outside requests (queue consumer, cron), as requests get one. */
export function connectFor(bindings: unknown): DatabaseConnection {
  return connectPerRequest(envFor(bindings));
}
