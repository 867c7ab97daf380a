import { fileURLToPath } from "node:url";

/** PGlite data directory with migrations and reference data applied, built once per test run. */
export const pgliteTemplatePath = fileURLToPath(
  new URL("../../node_modules/.cache/kepesertaan/pglite-template.tar", import.meta.url),
);

/** The real-PostgreSQL template database each test file's database is copied from. */
export const postgresTemplateName = "kepesertaan_test_template";

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
