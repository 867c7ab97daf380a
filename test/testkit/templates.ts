import { fileURLToPath } from "node:url";

/** PGlite data directory with migrations and reference data applied, built once per test run. */
export const pgliteTemplatePath = fileURLToPath(
  new URL("../../node_modules/.cache/kepesertaan/pglite-template.tar", import.meta.url),
);

/**
 * The real-PostgreSQL template database each test file's database is copied from. Named per run
 * (vitest.config.ts sets it) so two test runs on one server never drop each other's template.
 */
export const postgresTemplateName = process.env.KEPESERTAAN_PG_TEMPLATE ?? "kepesertaan_test_template";

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
