import { parse } from "graphql";
import type { Context as HonoContext, MiddlewareHandler } from "hono";
import type { Database } from "../db/client";
import { anonymous, type Viewer } from "../modules/access/rules";
import { mutationOf, recordRefusals } from "../modules/audit/refusals";
import { authenticate } from "../modules/credentials/authenticate";
import type { Clock } from "../shared/clock";
import { AccessDenied, type AccessRefusal, httpStatusOf } from "../shared/errors";
import { say } from "../shared/messages";
import type { AppBindings } from "./app-bindings";
import {
  type AuthFailureGuard,
  authFailureGuard,
  type CredentialFingerprint,
  credentialFingerprint,
  oncePerWindow,
} from "./auth-failures";
import { memoryRateLimiter, type RateLimiter } from "./rate-limit";

/**
 * A request refused before it ran, in the shape of its endpoint: GraphQL's `errors` on /graphql,
 * the REST routes' one `error` object elsewhere; both carry the code and the request id.
 */
export function refusalResponse(
  c: HonoContext<AppBindings>,
  status: 401 | 403 | 413 | 415 | 429,
  code: string,
  message: string,
) {
  const requestId = c.get("requestId");
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
  if (c.get("env").trustForwardedFor) return c.req.header("x-forwarded-for")?.split(",")[0]?.trim() || "unknown";
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

/**
 * Admission: who is calling, or the response that refuses them (a bad credential, too many failed
 * sign-ins from here, over their rate). Refusals are audited when they stopped a mutation.
 */
export function admission(options: {
  clock: Clock;
  /** Stands in for the Workers rate-limiting binding when there is none (Node, tests). */
  rateLimiter?: RateLimiter;
  /** Counts failed authentications when there is no AUTH_FAILURE_LIMITER binding (Node, tests). */
  authFailures?: AuthFailureGuard;
}): MiddlewareHandler<AppBindings> {
  const { clock } = options;
  const fallbackLimiter = options.rateLimiter ?? memoryRateLimiter({ limit: 600, periodSeconds: 60 });
  let failureGuard = options.authFailures;
  // Under a flood, the first refusal per caller and window is audited, not every request.
  const firstRefusalInWindow = oncePerWindow(60);

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
          c.get("requestId"),
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
    failureGuard ??= authFailureGuard(c.get("env").authFailureLimiter);
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
      viewer = await authenticate(c.req.raw.headers, c.get("env").auth, db);
    } catch (error) {
      if (!(error instanceof AccessDenied)) throw error;
      const credential = await credentialOf();
      if (credential && (await guard.recordFailure(address, credential))) {
        return refuse(c, db, anonymous, "RATE_LIMITED", tooManyFailures, `ip:${address}:${credential.family}`);
      }
      return refuse(c, db, anonymous, error.refusal, error.message, `ip:${address}:${c.get("requestId")}`);
    }
    const limiter = c.get("env").rateLimiter ?? fallbackLimiter;
    const key = rateLimitKey(viewer, address);
    const { success } = await limiter.limit({ key });
    if (!success) return refuse(c, db, viewer, "RATE_LIMITED", say("RATE_LIMITED"), key);
    // Stricter limits of single operations (verifyMembershipCard) count against the same caller.
    c.set("rateLimitKey", key);
    return viewer;
  }

  return async (c, next) => {
    const viewer = await admit(c, c.get("db"));
    if (viewer instanceof Response) return viewer;
    c.set("viewer", viewer);
    await next();
  };
}
