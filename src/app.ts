import type { Logger } from "drizzle-orm";
import { sql } from "drizzle-orm";
import type { Context as HonoContext, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { DAILY_JOB, dailyJobSteps } from "./daily-job";
import { type DatabaseConnection, openDatabase, openHyperdriveDatabase, useWebSocketProxy } from "./db/client";
import { type AppEnv, ConfigurationError, type DatabaseRoute, parseEnv } from "./env";
import { relayEvents } from "./events-worker";
import { GRAPHIQL_BUNDLE_PATH, yogaFor } from "./graphql/server";
import { admission, refusalResponse } from "./http/admission";
import type { AppBindings } from "./http/app-bindings";
import type { AuthFailureGuard } from "./http/auth-failures";
import { limitedBody } from "./http/body-limit";
import { memoryRateLimiter, type RateLimiter } from "./http/rate-limit";
import { relayIdentity } from "./identity-worker";
import { anonymous } from "./modules/access/rules";
import { CARD_VERIFICATION_LIMIT } from "./modules/cards/rules";
import { dashboardRoutes } from "./modules/dashboard/routes";
import { enrollmentRoutes } from "./modules/enrollments/routes";
import { eventQueuesOf } from "./modules/events/bindings";
import { forgetOldRuns, runJobSteps } from "./modules/jobs/service";
import { paymentRoutes } from "./modules/payments/routes";
import { wibDate } from "./shared/calendar";
import { type Clock, systemClock } from "./shared/clock";
import { AccessDenied } from "./shared/errors";
import { languageFromHeader, msg, render, say } from "./shared/messages";
import { currentLanguage, currentRequestId, mutationRan, runWithRequestId } from "./shared/request-scope";

export interface AppOptions {
  /**
   * Where requests get their database. Workers open one connection per request (the default);
   * a long-lived Node server passes a shared pool here instead.
   */
  database?: (env: AppEnv, logger?: Logger) => DatabaseConnection;
  /**
   * Where lag-tolerant reads get their database (`lagTolerantReads`), opened on first use in a
   * request: by default the environment's replica (DATABASE_REPLICA_URL / HYPERDRIVE_REPLICA), one
   * connection per request; null: the primary.
   */
  replica?: (env: AppEnv, logger?: Logger) => DatabaseConnection | null;
  /** Stands in for the Workers rate-limiting binding when there is none (Node, tests). */
  rateLimiter?: RateLimiter;
  /** Counts failed authentications when there is no AUTH_FAILURE_LIMITER binding (Node, tests). */
  authFailures?: AuthFailureGuard;
  /** Stands in for the CARD_VERIFY_LIMITER binding when there is none (Node, tests). */
  cardVerifyLimiter?: RateLimiter;
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
function openRoute(route: DatabaseRoute, logger?: Logger): DatabaseConnection {
  if (route.driver === "hyperdrive") return openHyperdriveDatabase(route.url, logger);
  if (route.webSocketProxy) useWebSocketProxy(route.webSocketProxy);
  return openDatabase(route.url, logger);
}

function connectPerRequest(env: AppEnv, logger?: Logger): DatabaseConnection {
  return openRoute(env.database, logger);
}

/** The replica's connection for a request, if the environment binds one. */
function connectReplicaPerRequest(env: AppEnv, logger?: Logger): DatabaseConnection | null {
  return env.replica ? openRoute(env.replica, logger) : null;
}

/** Large enough for a 10,000-row sponsored enrollment, small enough to refuse abuse. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

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
  const connectReplica = options.replica ?? connectReplicaPerRequest;
  const admitted = admission({ clock, rateLimiter: options.rateLimiter, authFailures: options.authFailures });
  const cardVerifyFallback =
    options.cardVerifyLimiter ??
    memoryRateLimiter({
      limit: CARD_VERIFICATION_LIMIT.requests,
      periodSeconds: CARD_VERIFICATION_LIMIT.periodSeconds,
    });
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
        (c as HonoContext<AppBindings>).get("env").corsAllowedOrigins.includes(origin) ? origin : null,
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: CORS_ALLOWED_HEADERS,
      exposeHeaders: ["x-request-id"],
      maxAge: 600,
    }),
  );

  // Development only: GraphiQL's ~9 MB bundle, relayed from `npm run dev` (GRAPHIQL_ASSETS_URL), so
  // the page and its bundle come from one origin and port; production answers 404.
  app.get(GRAPHIQL_BUNDLE_PATH, async (c) => {
    const { environment, graphiqlAssetsUrl } = c.get("env");
    if (environment !== "development" || !graphiqlAssetsUrl) return c.notFound();
    const ifNoneMatch = c.req.header("if-none-match");
    const bundle = await fetch(`${graphiqlAssetsUrl}${GRAPHIQL_BUNDLE_PATH}`, {
      headers: ifNoneMatch ? { "if-none-match": ifNoneMatch } : {},
    });
    return new Response(bundle.body, { status: bundle.status, headers: bundle.headers });
  });

  app.use(
    "/webhooks/*",
    limitedBody({
      maxSize: 64 * 1024,
      onError: (c) =>
        c.json({ error: { code: "PAYLOAD_TOO_LARGE", message: say("PAYLOAD_TOO_LARGE.notification") } }, 413),
    }),
  );
  app.use(
    "/sponsors/*",
    limitedBody({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => refusalResponse(c, 413, "PAYLOAD_TOO_LARGE", say("PAYLOAD_TOO_LARGE", { bytes: MAX_BODY_BYTES })),
    }),
  );
  app.use(
    "/graphql",
    limitedBody({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => refusalResponse(c, 413, "PAYLOAD_TOO_LARGE", say("PAYLOAD_TOO_LARGE", { bytes: MAX_BODY_BYTES })),
    }),
  );

  /**
   * Every route that touches the database gets one connection for the request, counted statement
   * by statement (the operation log reports them), released after the response; events a write
   * committed leave for the queue after it too.
   */
  const connected: MiddlewareHandler<AppBindings> = async (c, next) => {
    let statements = 0;
    const counting: Logger = {
      logQuery(query, params) {
        statements += 1;
        options.queryLogger?.logQuery(query, params);
      },
    };
    const { db, end, preparedStatements = false } = connect(c.get("env"), counting);
    let replica: DatabaseConnection | null | undefined;
    c.set("db", db);
    c.set("lagTolerant", () => {
      replica ??= connectReplica(c.get("env"), counting);
      return replica?.db ?? db;
    });
    c.set("preparedStatements", preparedStatements);
    c.set("statements", () => statements);
    c.set("viewer", anonymous);
    c.set("rateLimitKey", "ip:unknown");
    c.set("wroteEvents", false);
    try {
      await next();
    } finally {
      // Ending the connection inside the handler would close it before lazy resolvers run.
      afterResponse(c, end());
      if (replica) afterResponse(c, replica.end());
      if (c.get("wroteEvents")) relayAfterWrite(c);
    }
  };

  /**
   * Events a write committed leave for the queue right after the response, whichever route wrote
   * them (GraphQL, the payment webhook, a CSV upload); the every-minute sweep catches any this
   * misses. Only where a queue is bound.
   */
  function relayAfterWrite(c: HonoContext<AppBindings>): void {
    // A registration's identity check leaves with its events (it was written with them).
    afterResponse(
      c,
      relayIdentity(c.env, () => connect(c.get("env")), clock),
    );
    if (!eventQueuesOf(c.env)) return;
    afterResponse(
      c,
      relayEvents(c.env, () => connect(c.get("env")), clock),
    );
  }

  app.get("/health", connected, async (c) => {
    try {
      await c.get("db").execute(sql`select 1`);
      return c.json({ status: "ok", database: "ok" });
    } catch (error) {
      console.error(JSON.stringify({ level: "error", requestId: c.get("requestId"), message: String(error) }));
      return c.json({ status: "degraded", database: "unreachable", requestId: c.get("requestId") }, 503);
    }
  });

  // CSRF: a browser may send text/plain or form bodies cross-origin without a preflight; GraphQL
  // POSTs must be JSON, so no such request ever runs an operation.
  app.post("/graphql", async (c, next) => {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      return refusalResponse(c, 415, "UNSUPPORTED_MEDIA_TYPE", say("UNSUPPORTED_MEDIA_TYPE"));
    }
    await next();
  });

  app.on(["GET", "POST", "OPTIONS"], "/graphql", connected, admitted, async (c) => {
    const response = await yogaFor(c.get("env").environment).fetch(c.req.raw, {
      db: c.get("db"),
      lagTolerant: c.get("lagTolerant"),
      reportBudgetMs: c.get("env").reportBudgetMs,
      clock,
      requestId: c.get("requestId"),
      env: c.get("env"),
      language: currentLanguage(),
      viewer: c.get("viewer"),
      rateLimitKey: c.get("rateLimitKey"),
      cardVerifyLimiter: c.get("env").cardVerifyLimiter ?? cardVerifyFallback,
      statements: c.get("statements"),
      preparedStatements: c.get("preparedStatements"),
      log: options.log ?? consoleLog,
      planReads: options.planReads ?? true,
    });
    // Only a mutation writes events (the execution noted one ran).
    c.set("wroteEvents", mutationRan());
    return response;
  });

  // The modules' REST routes, each with the same request life as /graphql.
  for (const route of [...enrollmentRoutes, ...paymentRoutes, ...dashboardRoutes]) {
    const handle = async (c: HonoContext<AppBindings>) => {
      const reply = await route.handle({
        service: {
          db: c.get("db"),
          lagTolerant: c.get("lagTolerant"),
          reportBudgetMs: c.get("env").reportBudgetMs,
          viewer: c.get("viewer"),
          requestId: c.get("requestId"),
          clock,
        },
        env: c.get("env"),
        param: (name) => c.req.param(name) ?? "",
        query: (name) => c.req.query(name),
        header: (name) => c.req.header(name),
        text: () => c.req.text(),
      });
      if ("csv" in reply) {
        return c.body(reply.csv, 200, {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${reply.filename}"`,
        });
      }
      if (reply.wroteEvents) c.set("wroteEvents", true);
      return c.json(reply.body, reply.status);
    };
    if (route.access === "caller") app.on(route.method, route.path, connected, admitted, handle);
    else app.on(route.method, route.path, connected, handle);
  }

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

/** An invocation starts no new step after this long: the next cron tick carries the run forward. */
const DAILY_JOB_BUDGET_MS = 5 * 60_000;

/**
 * The daily job's invocation (the 00:05 WIB Cron Trigger starts the day's run; one every 10 minutes
 * carries a run that needed more than one invocation forward): the event calendar and the
 * duplicate search, the proof of every dashboard rollup against a recount (rebuilding any that
 * drifted), the close of recent months into the history and the upkeep of the partitioned tables
 * (`dailyJobSteps`), each step checkpointed with its work (`runJobSteps`), so a run cut off
 * resumes where it stopped and nothing is applied twice. Logs one
 * structured object per invocation: what drifted and was repaired, what is left for the next one,
 * how long it took, and on failure the error with its stack (then fails the invocation, so the
 * Cron Trigger shows it as failed). Returns the drift of the rollups this invocation checked.
 */
export async function runScheduledJob(
  bindings: unknown,
  options: {
    log?: (entry: object) => void;
    scheduledTime?: number;
    database?: AppOptions["database"];
    budgetMs?: number;
  } = {},
): Promise<Record<string, { drift: number; repaired: boolean }>> {
  const log = options.log ?? consoleLog;
  const runId = crypto.randomUUID();
  const startedAt = performance.now();
  const scheduledAt = new Date(options.scheduledTime ?? Date.now());
  const base = {
    event: "cron.rollup-verification",
    runId,
    scheduledTime: options.scheduledTime ? scheduledAt.toISOString() : null,
  };
  const env = envFor(bindings);
  const { db, end } = (options.database ?? connectPerRequest)(env);
  try {
    const run = await runJobSteps(db, {
      job: DAILY_JOB,
      // One run per WIB day: the invocations of a day carry the same run forward.
      runKey: wibDate(scheduledAt),
      steps: await dailyJobSteps(db, scheduledAt),
      budgetMs: options.budgetMs ?? DAILY_JOB_BUDGET_MS,
      elapsedMs: () => performance.now() - startedAt,
      // On the job's own clock (the scheduled instant, plus the time spent), as its pruning reads it.
      finishedAt: () => new Date(scheduledAt.getTime() + (performance.now() - startedAt)).toISOString(),
    });
    await forgetOldRuns(db, scheduledAt);
    // Per rollup table, whether verified whole or province by province (`verify:<table>[:<province>]`).
    const report: Record<string, { drift: number; repaired: boolean }> = {};
    for (const { step, result } of run.finished) {
      const table = step.startsWith("verify:") ? step.split(":")[1] : undefined;
      if (table === undefined) continue;
      const sofar = report[table] ?? { drift: 0, repaired: false };
      report[table] = {
        drift: sofar.drift + Number(result.drift),
        repaired: sofar.repaired || Boolean(result.repaired),
      };
    }
    const drifted = Object.entries(report).filter(([, table]) => table.drift > 0);
    const count = (prefix: string, field: string) =>
      run.finished
        .filter(({ step }) => step.startsWith(prefix))
        .reduce((sum, { result }) => sum + Number(result[field] ?? 0), 0);
    log({
      level: drifted.length > 0 ? "warn" : "info",
      ...base,
      outcome: run.remaining.length > 0 ? "PARTIAL" : drifted.length > 0 ? "REPAIRED" : "OK",
      durationMs: Math.round(performance.now() - startedAt),
      drifted: Object.fromEntries(drifted.map(([table, { drift }]) => [table, drift])),
      foldedRows: count("fold-lapsed", "folded"),
      historyRows: count("close:", "historyRows"),
      eventsEmitted: count("events:", "emitted"),
      duplicateCandidates: count("identity:duplicate-candidates", "found"),
      steps: { finished: run.finished.map(({ step }) => step), earlier: run.earlier.length, remaining: run.remaining },
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
