import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, varchar } from "drizzle-orm/pg-core";
import { sponsors } from "../sponsors/tables";

/**
 * Partner API keys. Only a SHA-256 hash of the secret is stored; the prefix finds the row and is
 * safe to show in logs and listings. A key acts as a PARTNER with exactly its scopes.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    name: varchar("name", { length: 120 }).notNull(),
    prefix: varchar("prefix", { length: 16 }).notNull().unique("api_keys_prefix_key"),
    secretHash: varchar("secret_hash", { length: 64 }).notNull(),
    scopes: text("scopes").array().notNull(),
    /** A key issued to a sponsor company acts for that sponsor only. */
    sponsorId: bigint("sponsor_id", { mode: "number" }).references(() => sponsors.id),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    index("api_keys_sponsor_idx").on(t.sponsorId),
    check("api_keys_secret_hash", sql`${t.secretHash} ~ '^[0-9a-f]{64}$'`),
  ],
);
