import type { Database } from "../db/client";
import type { AppEnv } from "../env";
import type { Viewer } from "../modules/access/rules";

/**
 * What every request of the Hono app carries, set by app.ts's middleware. Read with `c.get(name)`:
 * Hono's `c.var` copies every variable into a new object on each access (bench/PROFILE.md).
 */
export type AppBindings = {
  Bindings: Record<string, unknown>;
  Variables: {
    requestId: string;
    env: AppEnv;
    db: Database;
    /** The database for reads that tolerate seconds of lag: the replica, opened on first use, else `db`. */
    lagTolerant: () => Database;
    /** The connection keeps named statements prepared beyond the request (see DatabaseConnection). */
    preparedStatements: boolean;
    /** SQL statements sent for this request so far. */
    statements: () => number;
    viewer: Viewer;
    /** The caller's rate budget (API key, token subject, or client address), set by admission. */
    rateLimitKey: string;
    /** A write of this request committed partner events. */
    wroteEvents: boolean;
  };
};
