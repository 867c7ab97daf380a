import type { Database } from "../db/client";
import type { AppEnv } from "../env";
import type { Viewer } from "../modules/access/rules";

/** What every request of the Hono app carries, set by app.ts's middleware. */
export type AppBindings = {
  Bindings: Record<string, unknown>;
  Variables: {
    requestId: string;
    env: AppEnv;
    db: Database;
    /** SQL statements sent for this request so far. */
    statements: () => number;
    viewer: Viewer;
    /** A write of this request committed partner events. */
    wroteEvents: boolean;
  };
};
