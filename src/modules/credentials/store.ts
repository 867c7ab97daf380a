import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys } from "./tables";

export function findApiKeyByPrefix(db: Database, prefix: string) {
  return db.query.apiKeys.findFirst({ where: { prefix } });
}

export async function insertApiKey(db: Database, row: typeof apiKeys.$inferInsert) {
  const [created] = await db.insert(apiKeys).values(row).returning({ id: apiKeys.id });
  if (!created) throw new Error("api key insert returned nothing");
  return created;
}

export async function revokeApiKey(db: Database, prefix: string, at: string): Promise<boolean> {
  const revoked = await db.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.prefix, prefix)).returning();
  return revoked.length > 0;
}
