import { fileURLToPath } from "node:url";
import type { NeonDatabase } from "drizzle-orm/neon-serverless";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import type { Relations } from "../src/db/relations";
import { closeNodeProxy, connectNode } from "./node-database";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/** Applies the checked-in drizzle-kit migrations; already-applied ones are skipped. */
export async function migrateDatabase(db: NeonDatabase<Relations>): Promise<void> {
  await migrate(db, { migrationsFolder });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.argv[2] ?? process.env.DATABASE_URL;
  if (!url) {
    console.error("usage: npm run db:migrate -- <postgres-url>   (or set DATABASE_URL)");
    process.exit(2);
  }
  const { db, close } = await connectNode(url);
  await migrateDatabase(db);
  await close();
  await closeNodeProxy();
  console.log("Migrations applied.");
}
