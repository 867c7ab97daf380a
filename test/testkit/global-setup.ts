import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { sql } from "drizzle-orm";
import { startEmbeddedPostgres } from "../../scripts/embedded-postgres";
import { migrateDatabase } from "../../scripts/migrate";
import { closeNodeProxy, connectNode } from "../../scripts/node-database";
import { seedReferenceData } from "../../scripts/seed/reference";
import { pgliteTemplatePath, postgresTemplateName, withDatabase } from "./templates";

/**
 * Builds the database templates once: migrations and reference data (all 91k regions) take
 * seconds, copying a template per test file takes well under one.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const embedded = await startEmbeddedPostgres({});
  const local = await connectNode(embedded.url);
  await migrateDatabase(local);
  await seedReferenceData(local.db);
  await local.close();
  const dump = await embedded.db.dumpDataDir("none");
  await embedded.stop();
  await mkdir(dirname(pgliteTemplatePath), { recursive: true });
  await writeFile(pgliteTemplatePath, Buffer.from(await dump.arrayBuffer()));

  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = await connectNode(url);
    await admin.db.execute(sql.raw(`drop database if exists ${postgresTemplateName} with (force)`));
    await admin.db.execute(sql.raw(`create database ${postgresTemplateName}`));
    await admin.close();
    const template = await connectNode(withDatabase(url, postgresTemplateName));
    await migrateDatabase(template);
    await seedReferenceData(template.db);
    await template.close();
  }
  await closeNodeProxy();
  return async () => {
    if (!url) return;
    const admin = await connectNode(url);
    await admin.db.execute(sql.raw(`drop database if exists ${postgresTemplateName} with (force)`));
    await admin.close();
    await closeNodeProxy();
  };
}
