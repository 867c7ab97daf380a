import { fileURLToPath } from "node:url";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { HYPERDRIVE_LOCAL_VARIABLE, hyperdriveOrigin } from "../../scripts/hyperdrive-local";
import { bearer, TEST_CHANNEL_SECRETS, TEST_JWT_SECRET } from "./api";
import { startTestDatabase, type TestDatabase } from "./database";

/**
 * The Worker as wrangler builds it from wrangler.toml (queue bindings included), running in
 * workerd over a fresh test database through its HYPERDRIVE binding, as deployed: for the
 * end-to-end event tests, started from Node so they run beside the integration tests.
 */
export async function startLocalWorker(): Promise<{
  worker: Unstable_DevWorker;
  database: TestDatabase;
  /** GraphQL as ADMIN; answers the response's data. */
  graphql: <T>(query: string, variables: Record<string, unknown>) => Promise<T>;
  stop: () => Promise<void>;
}> {
  const database = await startTestDatabase();
  // wrangler reads the binding's local origin from the environment when the Worker starts.
  process.env[HYPERDRIVE_LOCAL_VARIABLE] = hyperdriveOrigin(database.url);
  const worker = await unstable_dev(fileURLToPath(new URL("../../src/index.ts", import.meta.url)), {
    config: fileURLToPath(new URL("../../wrangler.toml", import.meta.url)),
    vars: {
      ENVIRONMENT: "test",
      JWT_SECRET: TEST_JWT_SECRET,
      PAYMENT_CHANNEL_SECRETS: JSON.stringify(TEST_CHANNEL_SECRETS),
    },
    logLevel: "error",
    experimental: { disableExperimentalWarning: true },
  });
  const admin = { "content-type": "application/json", ...(await bearer({ role: "ADMIN" })) };
  return {
    worker,
    database,
    graphql: async <T>(query: string, variables: Record<string, unknown>) => {
      const response = await worker.fetch("/graphql", {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ query, variables }),
      });
      return ((await response.json()) as { data: T }).data;
    },
    stop: async () => {
      await worker.stop();
      await database.close();
    },
  };
}
