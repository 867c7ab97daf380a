import { and, inArray, type SQL } from "drizzle-orm";
import type { Database, Executor } from "../../db/client";
import { monthNumber, monthStart } from "../../shared/calendar";
import type { Viewer } from "../access/rules";
import { type ParticipantFilter, visibleParticipants } from "../participants/conditions";
import { participants } from "../participants/tables";
import { outreachContacts } from "./tables";

/**
 * A work list as SQL over `table`: the caller's visible workers, filtered, in the list's paid-through months.
 * The months are listed (`paid_through = any(...)`, paid_through is always a month's first day) rather
 * than a `between`: equality on the leading column lets `participants_paid_through_village_idx` apply the
 * region prefix inside each month, so a province's list reads its few thousand entries, not a whole month.
 */
export function workListCondition(
  table: typeof participants,
  range: { from: string; through: string },
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
): SQL {
  return and(
    visibleParticipants(table, filter, viewer, now),
    inArray(table.paidThrough, paidThroughMonths(range)),
  ) as SQL;
}

/** Every month's first day from `from` through `through` (at most the 12 months of a win-back list). */
function paidThroughMonths(range: { from: string; through: string }): string[] {
  const months: string[] = [];
  for (let month = monthNumber(range.from); month <= monthNumber(range.through); month++)
    months.push(monthStart(month));
  return months;
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
