import { and, between, type SQL } from "drizzle-orm";
import type { Database, Executor } from "../../db/client";
import type { Viewer } from "../access/rules";
import { type ParticipantFilter, visibleParticipants } from "../participants/conditions";
import { participants } from "../participants/tables";
import { outreachContacts } from "./tables";

/** A work list as SQL over `table`: the caller's visible workers, filtered, in the list's paid-through months. */
export function workListCondition(
  table: typeof participants,
  range: { from: string; through: string },
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
): SQL {
  return and(
    visibleParticipants(table, filter, viewer, now),
    between(table.paidThrough, range.from, range.through),
  ) as SQL;
}

export async function insertOutreachContact(db: Executor, row: typeof outreachContacts.$inferInsert) {
  const [created] = await db.insert(outreachContacts).values(row).returning();
  if (!created) throw new Error("outreach insert returned nothing");
  return created;
}

export type OutreachContactRow = typeof outreachContacts.$inferSelect;

export function countWorkList(
  db: Database,
  range: { from: string; through: string },
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
): Promise<number> {
  return db.$count(participants, workListCondition(participants, range, filter, viewer, now));
}
