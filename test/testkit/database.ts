import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { sql } from "drizzle-orm";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../scripts/embedded-postgres";
import { connectNode } from "../../scripts/node-database";
import type { Database } from "../../src/db/client";
import { pgliteTemplatePath, postgresTemplateName, withDatabase } from "./templates";

export interface TestDatabase {
  url: string;
  /** A Drizzle client for arranging data and checking what the API wrote. */
  db: Database;
  kind: "pglite" | "postgres";
  close(): Promise<void>;
}

let template: Promise<Blob> | undefined;
/** The template's 90 MB, read once per worker: every database of the worker's files starts from it. */
function pgliteTemplate(): Promise<Blob> {
  template ??= readFile(pgliteTemplatePath).then((bytes) => new Blob([bytes]));
  return template;
}

/**
 * A fresh database for one test file, copied from the template: embedded PGlite by default, a
 * new database on the real PostgreSQL in DATABASE_URL when the `postgres` project runs.
 */
export async function startTestDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE === "postgres") {
    const adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) throw new Error("TEST_DATABASE=postgres needs DATABASE_URL");
    const name = `kepesertaan_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const admin = await connectNode(adminUrl);
    await admin.db.execute(sql.raw(`create database ${name} template ${postgresTemplateName}`));
    const url = withDatabase(adminUrl, name);
    const client = await connectNode(url);
    return {
      url,
      db: client.db,
      kind: "postgres",
      close: async () => {
        await client.close();
        await admin.db.execute(sql.raw(`drop database if exists ${name} with (force)`));
        await admin.close();
      },
    };
  }
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ loadDataDir: await pgliteTemplate() });
  const client = await connectNode(embedded.url);
  return {
    url: embedded.url,
    db: client.db,
    kind: "pglite",
    close: async () => {
      await client.close();
      await embedded.stop();
    },
  };
}
