import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Tiers (README, "Tests"):
 * - unit: pure rules and scripts, beside the code; no database.
 * - pglite: integration tests under test/ through GraphQL against embedded PGlite, one database
 *   per test file, copied from a cached template.
 * - workerd: the built Worker inside workerd.
 * - postgres: the same integration tests against the real PostgreSQL in DATABASE_URL, with the
 *   races that need real concurrency (`npm run test:deep`; CI runs it every time).
 * `npm test` is unit + pglite + workerd.
 */
// One real-PostgreSQL template per run; workers inherit the name through the environment.
process.env.KEPESERTAAN_PG_TEMPLATE ??= `kepesertaan_test_template_${process.pid}`;

// Test files share their worker's module graph (isolate: false): importing the app and building
// its schema once per worker instead of once per file saves most of a minute. Each file still
// gets its own database; no test keeps state in modules.
const integration = { include: ["test/**/*.test.ts"], exclude: ["test/worker/**", "test/testkit/**"], isolate: false };

export default defineConfig({
  // graphql ships CJS and ESM builds; loading both breaks its instanceof checks, so use one.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "scripts/**/*.test.ts", "test/testkit/**/*.test.ts"],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "pglite",
          ...integration,
          globalSetup: ["test/testkit/global-setup.ts"],
          env: { TEST_DATABASE: "pglite" },
        },
      },
      ...(process.env.DATABASE_URL
        ? [
            {
              extends: true as const,
              test: {
                name: "postgres",
                ...integration,
                globalSetup: ["test/testkit/postgres-setup.ts"],
                env: { TEST_DATABASE: "postgres" },
              },
            },
          ]
        : []),
      // The Worker inside workerd: its own pool, so it does not extend the Node projects' setup.
      {
        resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // As deployed: PostgreSQL through the HYPERDRIVE binding (node-postgres over TCP), which
              // locally connects straight to the embedded database.
              hyperdrives: { HYPERDRIVE: inject("workerHyperdriveOrigin") },
              bindings: {
                ENVIRONMENT: "test",
                JWT_SECRET: "test-secret-that-is-at-least-32-characters-long",
              },
            },
          })),
        ],
        test: {
          name: "workerd",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/worker/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
