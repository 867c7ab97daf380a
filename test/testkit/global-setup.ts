import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { startEmbeddedPostgres } from "../../scripts/embedded-postgres";
import { migrateDatabase } from "../../scripts/migrate";
import { closeNodeProxy, connectNode } from "../../scripts/node-database";
import { seedReferenceData } from "../../scripts/seed/reference";
import { pgliteTemplatePath } from "./templates";

/** Migrations and all 91k regions into a PGlite data directory, written atomically to `path`. */
async function buildPgliteTemplate(path: string): Promise<void> {
  const embedded = await startEmbeddedPostgres({});
  const local = await connectNode(embedded.url);
  await migrateDatabase(local);
  await seedReferenceData(local.db);
  await local.close();
  // A checkpoint first: a copy of a cleanly checkpointed directory starts without replaying WAL,
  // which made every test database start ~40% slower (measured: 550-680 ms → 320-410 ms).
  await embedded.db.query("checkpoint");
  const dump = await embedded.db.dumpDataDir("none");
  await embedded.stop();
  await mkdir(dirname(path), { recursive: true });
  // Written under a temporary name, then renamed: a concurrent run never reads half a template.
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, path);
  // Templates of other migrations unused for a day go; a younger one may belong to another
  // checkout sharing this node_modules (a git worktree) that is running its tests right now.
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const name of await readdir(dirname(path))) {
    const other = join(dirname(path), name);
    if (name.startsWith("pglite-") && name.endsWith(".tar") && name !== basename(path)) {
      if ((await stat(other)).mtimeMs < dayAgo) await rm(other, { force: true });
    }
  }
}

/** The cached PGlite template, built when migrations/ or the seed changed since the last one. */
export async function ensurePgliteTemplate(): Promise<void> {
  if (!existsSync(pgliteTemplatePath)) await buildPgliteTemplate(pgliteTemplatePath);
}

/**
 * The embedded tier's setup: the PGlite template, built once per content of migrations/ and the
 * seed (cached by their hash). Copying it per test file takes well under a second.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await ensurePgliteTemplate();
  return async () => {
    await closeNodeProxy();
  };
}
