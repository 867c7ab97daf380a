import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Every file a template's content depends on: migrations, the reference seed, its data package. */
function templateInputs(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(root, "migrations"));
  files.push(
    join(root, "scripts/seed/reference.ts"),
    join(root, "test/testkit/global-setup.ts"),
    join(root, "node_modules/idn-area-data/package.json"),
    join(root, "node_modules/@electric-sql/pglite/package.json"),
  );
  return files;
}

/** A hash of the template's inputs: the cached template is rebuilt exactly when one changes. */
export const templateHash = (() => {
  const hash = createHash("sha256");
  for (const file of templateInputs()) hash.update(file.slice(root.length)).update("\0").update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
})();

/**
 * PGlite data directory with migrations and reference data applied. Kept between runs under
 * node_modules/.cache, named by `templateHash`: a run after any change to migrations/, the seed
 * or the data packages builds a new one; other runs reuse it.
 */
export const pgliteTemplatePath = join(root, `node_modules/.cache/kepesertaan/pglite-${templateHash}.tar`);

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
