import { nodeProxy } from "../../scripts/node-database";
import { createApp } from "../../src/app";
import { fixedClock } from "../../src/shared/clock";
import { startTestDatabase, type TestDatabase } from "./database";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  headers: Headers;
}

/** "Today" in integration tests: a fixed instant, so statuses never drift with the calendar. */
export const TODAY = "2026-11-15T03:00:00Z";

/**
 * The real app (Hono + Yoga + Neon driver) over a fresh test database, called through `fetch`
 * like a client would. `statements` records every SQL statement the API sent.
 */
export async function startTestApi(options: { now?: string } = {}) {
  const database: TestDatabase = await startTestDatabase();
  const proxy = await nodeProxy();
  const statements: string[] = [];
  const app = createApp({
    clock: fixedClock(options.now ?? TODAY),
    queryLogger: { logQuery: (query) => statements.push(query) },
  });
  const env = {
    ENVIRONMENT: "test",
    DATABASE_URL: database.url,
    DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1`,
  };

  async function request(path: string, init?: RequestInit): Promise<Response> {
    return app.request(path, init, env);
  }

  async function graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...body };
  }

  return {
    app,
    env,
    db: database.db,
    databaseKind: database.kind,
    request,
    graphql,
    statements,
    close: database.close,
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
