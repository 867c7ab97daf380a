import type { Database } from "./db/client";
import type { AppEnv } from "./env";
import type { Viewer } from "./modules/access/rules";
import type { Clock } from "./shared/clock";

/** Everything a resolver may use for one request. */
export interface Context {
  db: Database;
  clock: Clock;
  requestId: string;
  env: AppEnv;
  viewer: Viewer;
  /** SQL statements this request has sent so far (for its operation log). */
  statements: () => number;
  /** Writes one structured log object (console.log on Workers, where Workers Logs indexes it). */
  log: (entry: object) => void;
}
