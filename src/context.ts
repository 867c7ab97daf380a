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
}
