import { sql } from "drizzle-orm";
import { migrateDatabase } from "../../scripts/migrate";
import { closeNodeProxy, connectNode } from "../../scripts/node-database";
import { seedReferenceData } from "../../scripts/seed/reference";
import { postgresTemplateName, withDatabase } from "./templates";

/**
 * The real-PostgreSQL tier's setup (`npm run test:deep`): a template database migrated and seeded
 * once per run, which each test file's database is copied from; dropped at the end.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("the postgres tier needs DATABASE_URL (npm run test:deep sets the local default)");
  const admin = await connectNode(url);
  await admin.db.execute(sql.raw(`drop database if exists ${postgresTemplateName} with (force)`));
  await admin.db.execute(sql.raw(`create database ${postgresTemplateName}`));
  await admin.close();
  const template = await connectNode(withDatabase(url, postgresTemplateName));
  await migrateDatabase(template);
  await seedReferenceData(template.db);
  await template.close();
  return async () => {
    await closeNodeProxy();
    const cleanup = await connectNode(url);
    await cleanup.db.execute(sql.raw(`drop database if exists ${postgresTemplateName} with (force)`));
    await cleanup.close();
  };
}
