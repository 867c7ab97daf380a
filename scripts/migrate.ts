import { fileURLToPath } from "node:url";
import { scriptDatabaseUrl } from "./database-route";
import { connectNode, type NodeConnection } from "./node-database";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/** Applies the checked-in drizzle-kit migrations; already-applied ones are skipped. */
export async function migrateDatabase(connection: NodeConnection): Promise<void> {
  await connection.migrate(migrationsFolder);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = scriptDatabaseUrl(process.argv[2]);
  if (!url) {
    console.error("usage: DATABASE_URL=<postgres-url> npm run db:migrate   (or npm run db:migrate -- <url>)");
    process.exit(2);
  }
  const connection = await connectNode(url);
  try {
    await migrateDatabase(connection);
  } finally {
    await connection.close();
  }
  console.log("Migrations applied.");
}
