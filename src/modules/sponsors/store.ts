import { eq, sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client";
import { sponsors, sponsorships } from "./tables";

export type SponsorRow = typeof sponsors.$inferSelect;
export type SponsorshipRow = typeof sponsorships.$inferSelect;

export async function insertSponsor(db: Executor, row: typeof sponsors.$inferInsert): Promise<SponsorRow> {
  const [created] = await db.insert(sponsors).values(row).returning();
  if (!created) throw new Error("sponsor insert returned nothing");
  return created;
}

export function findSponsor(db: Executor, id: number) {
  return db.query.sponsors.findFirst({ where: { id } });
}

export async function insertSponsorship(db: Executor, row: typeof sponsorships.$inferInsert): Promise<SponsorshipRow> {
  const [created] = await db.insert(sponsorships).values(row).returning();
  if (!created) throw new Error("sponsorship insert returned nothing");
  return created;
}

export function findSponsorship(db: Executor, id: number) {
  return db.query.sponsorships.findFirst({ where: { id } });
}

/** Reads a sponsorship and holds its row lock: enrollments and batch payments of one sponsorship queue here. */
export async function lockSponsorship(tx: Transaction, id: number): Promise<SponsorshipRow | null> {
  const [row] = await tx.select().from(sponsorships).where(eq(sponsorships.id, id)).for("update");
  return row ?? null;
}

export async function addSpending(tx: Transaction, id: number, amount: bigint) {
  await tx
    .update(sponsorships)
    .set({ spent: sql`${sponsorships.spent} + ${amount}` })
    .where(eq(sponsorships.id, id));
}

export async function updateSponsorship(
  tx: Transaction,
  id: number,
  changes: Partial<typeof sponsorships.$inferInsert>,
): Promise<SponsorshipRow> {
  const [row] = await tx.update(sponsorships).set(changes).where(eq(sponsorships.id, id)).returning();
  if (!row) throw new Error(`sponsorship ${id} vanished inside its own lock`);
  return row;
}
