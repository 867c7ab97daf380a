import { nodeProxy } from "../../scripts/node-database";
import { createApp } from "../../src/app";
import type { RateLimiter } from "../../src/http/rate-limit";
import { signDevelopmentToken, type TokenClaims } from "../../src/modules/credentials/tokens";
import { offlineVerifier } from "../../src/modules/identity/offline-verifier";
import { drainIdentityChecks } from "../../src/modules/identity/queue";
import { settableClock } from "../../src/shared/clock";
import { startTestDatabase, type TestDatabase } from "./database";
import { TODAY } from "./dates";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  headers: Headers;
}

export { TODAY } from "./dates";

/**
 * The real app (Hono + Yoga + Neon driver) over a fresh test database, called through `fetch`
 * like a client would. `statements` records every SQL statement the API sent.
 */
export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";
/** Seals webhook signing secrets at rest, as production does (32 bytes, base64). */
export const TEST_WEBHOOK_SECRET_KEY = Buffer.alloc(32, 42).toString("base64");
/** The one browser origin the test API allows (CORS_ALLOWED_ORIGINS). */
export const TEST_ALLOWED_ORIGIN = "https://jmo.bpjs.test";
/** Membership card codes' keys (CARD_SIGNING_KEYS): `current` signs, `previous` still checks (a rotation). */
export const TEST_CARD_KEYS = {
  current: { kid: "t2", secret: Buffer.alloc(32, 7).toString("base64") },
  previous: { kid: "t1", secret: Buffer.alloc(32, 3).toString("base64") },
};
export const TEST_CHANNEL_SECRETS = { BRIVA: "briva-test-secret-0123456789", GOPAY: "gopay-test-secret-0123456789" };

/** Headers for a caller with these claims (a signed HS256 token, as a real client sends). */
export async function bearer(
  claims: Partial<TokenClaims> & { role: TokenClaims["role"] },
): Promise<Record<string, string>> {
  const token = await signDevelopmentToken(
    { subject: `test-${claims.role.toLowerCase()}`, ...claims },
    TEST_JWT_SECRET,
  );
  return { authorization: `Bearer ${token}` };
}

export async function startTestApi(
  options: {
    now?: string;
    rateLimiter?: RateLimiter;
    cardVerifyLimiter?: RateLimiter;
    /**
     * false leaves identity checks pending: tests of the verification itself run its queue. By
     * default each request is preceded and followed by a drain of the due checks through the
     * offline verifier, the in-process stand-in for the identity queue, so a worker registered in
     * one request is verified (or not) by the next, deterministically.
     */
    verifyIdentities?: boolean;
    /**
     * Binds a read replica (DATABASE_REPLICA_URL): a second database of its own, which the test
     * fills as it likes, so which reads go where shows in the answers.
     */
    replica?: boolean;
    /** More Worker bindings, over the test defaults (REPORT_BUDGET_MS, say). */
    bindings?: Record<string, string>;
  } = {},
) {
  const database: TestDatabase = await startTestDatabase();
  const replica: TestDatabase | null = options.replica ? await startTestDatabase() : null;
  const proxy = await nodeProxy();
  const statements: string[] = [];
  /** Every structured log object the API wrote (operation logs), in order. */
  const logs: Record<string, unknown>[] = [];
  const admin = await bearer({ role: "ADMIN" });
  const clock = settableClock(options.now ?? TODAY);
  const appOptions = {
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
    ...(options.cardVerifyLimiter ? { cardVerifyLimiter: options.cardVerifyLimiter } : {}),
    clock,
    log: (entry: object) => logs.push(entry as Record<string, unknown>),
    queryLogger: { logQuery: (query: string) => statements.push(query) },
  };
  const app = createApp(appOptions);
  // The same API with the read planner off: what the executor alone answers (differential tests).
  const executorApp = createApp({ ...appOptions, planReads: false });
  const env = {
    ENVIRONMENT: "test",
    DATABASE_URL: database.url,
    DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1`,
    JWT_SECRET: TEST_JWT_SECRET,
    WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY,
    PAYMENT_CHANNEL_SECRETS: JSON.stringify(TEST_CHANNEL_SECRETS),
    CARD_SIGNING_KEYS: `${TEST_CARD_KEYS.current.kid}:${TEST_CARD_KEYS.current.secret},${TEST_CARD_KEYS.previous.kid}:${TEST_CARD_KEYS.previous.secret}`,
    CORS_ALLOWED_ORIGINS: TEST_ALLOWED_ORIGIN,
    // Tests stand in for a trusted proxy, so each can act from its own client address.
    TRUST_X_FORWARDED_FOR: "true",
    ...(replica ? { DATABASE_REPLICA_URL: replica.url } : {}),
    ...options.bindings,
  };

  /**
   * Requests read English messages unless they ask otherwise (an `accept-language` header of their
   * own): most tests pin English sentences; `test/messages.test.ts` covers Indonesian and the default.
   */
  async function request(path: string, init?: RequestInit): Promise<Response> {
    const headers = new Headers(init?.headers);
    if (!headers.has("accept-language")) headers.set("accept-language", "en");
    await verifyIdentities();
    const response = await app.request(path, { ...init, headers }, env);
    await verifyIdentities();
    return response;
  }

  const verifier = offlineVerifier();
  async function verifyIdentities(): Promise<void> {
    if (options.verifyIdentities !== false) await drainIdentityChecks(database.db, verifier, clock.now());
  }

  /**
   * The raw response body of a GraphQL request, byte for byte; `planned: false` asks the API with
   * the read planner off.
   */
  async function graphqlText(
    query: string,
    variables: Record<string, unknown> | undefined,
    headers: Record<string, string>,
    planned = true,
  ): Promise<string> {
    await verifyIdentities();
    const response = await (planned ? app : executorApp).request(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      },
      env,
    );
    return response.text();
  }

  /** A GraphQL request; as ADMIN unless other headers are given (`{}` is anonymous). */
  async function graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = admin,
  ): Promise<GraphQLResponse<T>> {
    const response = await request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...body };
  }

  /** A GraphQL request with any body (a persisted document's id instead of a query, ...). */
  async function graphqlRaw<T = Record<string, unknown>>(
    body: Record<string, unknown>,
    headers: Record<string, string> = admin,
  ): Promise<GraphQLResponse<T>> {
    const response = await request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Omit<GraphQLResponse<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...answer };
  }

  return {
    app,
    env,
    graphqlRaw,
    db: database.db,
    databaseKind: database.kind,
    request,
    graphql,
    graphqlText,
    statements,
    logs,
    /** Moves "today" for the API: one database can be seen from several dates. */
    setToday: (iso: string) => clock.set(iso),
    /** The API's clock: jobs and consumers a test runs outside requests take "now" from it too. */
    clock,
    /** The bound read replica's database (`replica: true`). */
    replica,
    close: async () => {
      await replica?.close();
      await database.close();
    },
  };
}

export type TestApi = Awaited<ReturnType<typeof startTestApi>>;

/** The data of a response that must have no errors. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`Unexpected GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}
