import type { ServiceContext } from "../context";
import type { AppEnv } from "../env";

/**
 * A REST route a domain module serves beside `/graphql` (CSV uploads, reports, payment channels'
 * webhooks). The module says what the route does; `app.ts` gives every route the same request
 * life: a database for the request, the caller admitted (or not), the connection released and the
 * events a write committed relayed after the response.
 */
export interface ModuleRoute {
  method: "GET" | "POST";
  path: string;
  /**
   * `caller`: the credential is verified and rate-limited before `handle` runs, and a refusal is
   * answered (and audited) by the app. `signed`: the route verifies its own signature (payment
   * channels hold no API credential) and runs as an anonymous caller.
   */
  access: "caller" | "signed";
  handle(request: RouteRequest): Promise<RouteReply>;
}

/** What a route handler sees of its request. */
export interface RouteRequest {
  /** Database, caller, request id and clock, as a GraphQL resolver's services get them. */
  service: ServiceContext;
  env: AppEnv;
  param(name: string): string;
  query(name: string): string | undefined;
  header(name: string): string | undefined;
  text(): Promise<string>;
}

/** A JSON answer, or a CSV file to download. */
export type RouteReply =
  | {
      status: 200 | 400 | 401 | 404 | 409 | 413 | 422;
      body: Record<string, unknown>;
      /** The write committed partner events: they leave for the queue right after the response. */
      wroteEvents?: boolean;
    }
  | { status: 200; csv: string; filename: string };
