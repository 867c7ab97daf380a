import type { Database } from "./db/client";
import type { AppEnv } from "./env";
import type { RateLimiter } from "./http/rate-limit";
import type { Viewer } from "./modules/access/rules";
import type { Clock } from "./shared/clock";
import type { Language } from "./shared/request-scope";

/** What a domain service works with: the database, the caller, the request (for audit), "today". */
export interface ServiceContext {
  db: Database;
  viewer: Viewer;
  requestId: string;
  clock: Clock;
  /**
   * The read replica, where one is bound (opened on first use): only for `lagTolerantReads`.
   * Absent in jobs, scripts and tests that pass none.
   */
  lagTolerant?: () => Database;
  /**
   * How long a report that counts people live (the registration funnel, the retention leaderboard)
   * may run before the database cancels it (REPORT_BUDGET_MS). Absent in jobs, scripts and the
   * bench, which wait for their answer however long it takes.
   */
  reportBudgetMs?: number;
}

/**
 * Where a read that tolerates seconds of lag goes: the replica if one is bound, else the primary.
 * The rule (docs/operators.md, "Read replicas"): figures over many workers that a write of the same
 * request or flow does not precede (dashboards, history, cohorts, outcomes, the funnel, their CSV
 * reports). Never a read inside a mutation, a participant's or payment's own page, or anything a
 * caller reads back after writing it.
 */
export function lagTolerantReads(ctx: Pick<ServiceContext, "db" | "lagTolerant">): Database {
  return ctx.lagTolerant?.() ?? ctx.db;
}

/** Everything a resolver may use for one request. */
export interface Context extends ServiceContext {
  env: AppEnv;
  /** The language messages are written in for this request (Accept-Language, else the default). */
  language: Language;
  /** Who the caller counts as for rate limits: `key:<id>`, `sub:<subject>` or `ip:<address>`. */
  rateLimitKey: string;
  /** `verifyMembershipCard`'s own limit per caller (the CARD_VERIFY_LIMITER binding, or in memory). */
  cardVerifyLimiter: RateLimiter;
  /** SQL statements this request has sent so far (for its operation log). */
  statements: () => number;
  /** Writes one structured log object (console.log on Workers, where Workers Logs indexes it). */
  log: (entry: object) => void;
  /** false: every operation runs on the executor (tests compare the read planner's answers with it). */
  planReads?: boolean;
  /**
   * The connection outlives the request (a long-lived pool on Node), so the read planner's
   * statements are sent named and PostgreSQL plans each once per connection. Never with a
   * connection per request (the Worker) or a shared session (the embedded database).
   */
  preparedStatements?: boolean;
}
