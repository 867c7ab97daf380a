import { and, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client";
import { rowsOf } from "../../db/rows";
import { monthNumber, monthStart } from "../../shared/calendar";
import { drizzleCursorValues } from "../../shared/cursors";
import type { Viewer } from "../access/rules";
import { rolledUpParticipants } from "../dashboard/conditions";
import {
  type ParticipantFilter,
  scopeAsRegion,
  visibleParticipantParts,
  visibleParticipants,
} from "../participants/conditions";
import { participants } from "../participants/tables";
import type { OutreachList } from "./rules";
import { outreachContacts } from "./tables";

/**
 * A work list as SQL over `table`: the caller's visible workers, filtered, in the list's paid-through months.
 * The months are listed (`paid_through = any(...)`, paid_through is always a month's first day) rather
 * than a `between`: equality on the leading column lets `participants_paid_through_village_idx` apply the
 * region prefix inside each month, so a province's list reads its entries, not a whole month.
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
    // Someone who left membership (death, retirement, …) is nobody's call to make.
    isNull(table.exitedOn),
  ) as SQL;
}

/**
 * The list as disjoint parts over the participants table, one per way the caller sees workers
 * (`visibleParticipantParts`): each part is read from its own index (an officer's region from
 * `participants_paid_through_village_idx`, their own registrations from
 * `participants_registered_by_subject_idx`) without visiting the rows it does not return.
 */
function workListParts(
  range: { from: string; through: string },
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
): SQL[] {
  const months = and(inArray(participants.paidThrough, paidThroughMonths(range)), isNull(participants.exitedOn));
  return visibleParticipantParts(participants, filter, viewer, now).map((part) => and(part, months) as SQL);
}

/** Every month's first day from `from` through `through` (at most the 12 months of a win-back list). */
function paidThroughMonths(range: { from: string; through: string }): string[] {
  const months: string[] = [];
  for (let month = monthNumber(range.from); month <= monthNumber(range.through); month++)
    months.push(monthStart(month));
  return months;
}

type Direction = "asc" | "desc";

/**
 * A list's order: most urgent paid-through month first, then village by village (one visit reaches
 * neighbours), then id; the cursor holds all three. It is the order of
 * `participants_paid_through_village_idx`, so a page of a province with tens of thousands due reads
 * its own hundred index entries. Village codes are all `dd.dd.dd.dddd`, so the index's byte order
 * (`text_pattern_ops`) and the column's collation order agree.
 */
export function workListOrder(range: { order: Direction }): {
  paidThrough: Direction;
  villageCode: Direction;
  id: Direction;
} {
  return { paidThrough: range.order, villageCode: range.order, id: range.order };
}

/**
 * The extra column that names the list in every row a list reads: it leads the ordering, so each
 * cursor a list issues starts with the list's name and another list can tell it is not its own
 * (IN_GRACE and DUE_SOON share months; the rest of a cursor would fit either). Constant within a
 * list, so it changes neither the order nor the plan.
 */
export const WORK_LIST_TAG = "outreachList";

export function workListTag(list: OutreachList): SQL {
  return sql`${list}::text`;
}

/** A worker's place in a list: the cursor's ordering values (a prefix of them is a place too). */
export type WorkListPosition =
  | readonly [paidThrough: string]
  | readonly [paidThrough: string, villageCode: string]
  | readonly [paidThrough: string, villageCode: string, id: number];

/** The place a cursor of `list` names, or null when `list` did not issue it (another list, another connection). */
export function workListPosition(list: OutreachList, cursor: string): WorkListPosition | null {
  const values = drizzleCursorValues(cursor, 4);
  const [tag, month, village, id] = values ?? [];
  if (tag !== list) return null;
  if (typeof month !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(month)) return null;
  if (values?.length === 2) return [month];
  if (typeof village !== "string") return null;
  if (values?.length === 3) return [month, village];
  return typeof id === "number" && Number.isSafeInteger(id) ? [month, village, id] : null;
}

/** The page a connection asks for: its size plus one (to tell whether another follows) and its cursors' places. */
export interface WorkListPage {
  rows: number;
  backward: boolean;
  after: WorkListPosition | null;
  before: WorkListPosition | null;
}

/**
 * The page's rows as a condition over `table` (the alias of the relational query that reads them):
 * `id in` the first `rows` past the cursors of each part, in list order, each part read in its
 * index's order (`participants_paid_through_village_idx` for a region, the whole country or a
 * sponsor's index); only the page's rows are read in full.
 */
export function workListPageCondition(
  table: typeof participants,
  range: { from: string; through: string; order: Direction },
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
  page: WorkListPage,
): SQL {
  const keyset = [
    page.after ? pastPosition(page.after, range.order === "asc" ? "after" : "before") : undefined,
    page.before ? pastPosition(page.before, range.order === "asc" ? "before" : "after") : undefined,
  ];
  const descending = page.backward !== (range.order === "desc");
  const order = (month: SQL, village: SQL, id: SQL) =>
    descending
      ? sql`${month} desc, ${village} using ~>~, ${id} desc`
      : sql`${month} asc, ${village} using ~<~, ${id} asc`;
  const stretches = scanStretches(page.backward ? page.before : page.after, descending);
  const candidates = workListParts(range, filter, viewer, now).flatMap((part) =>
    stretches.map(
      (stretch) =>
        sql`(select ${participants.paidThrough}, ${participants.villageCode}, ${participants.id} from ${participants} where ${and(part, stretch, ...keyset)} order by ${order(sql`${participants.paidThrough}`, sql`${participants.villageCode}`, sql`${participants.id}`)} limit ${page.rows})`,
    ),
  );
  if (candidates.length === 0) return sql`false`;
  return sql`${workListCondition(table, range, filter, viewer, now)} and ${table.id} in (select "id" from (${sql.join(candidates, sql` union all `)}) as "candidates" order by ${order(sql`"paid_through"`, sql`"village_code"`, sql`"id"`)} limit ${page.rows})`;
}

/**
 * Where the scan begins, as index bounds: past a cursor in its own month (the month and village
 * bound the index range) and the months beyond it, so page 300 of a province seeks to its place
 * instead of filtering the 30,000 entries before it (`pastPosition` still decides exactly).
 */
function scanStretches(start: WorkListPosition | null, descending: boolean): (SQL | undefined)[] {
  const [month, village] = start ?? [];
  if (month === undefined || village === undefined) return [undefined];
  const [beyond, fromVillage] = descending ? [sql`<`, sql`~<=~`] : [sql`>`, sql`~>=~`];
  return [
    sql`${participants.paidThrough} = ${month}::date and ${participants.villageCode} ${fromVillage} ${village}::text`,
    sql`${participants.paidThrough} ${beyond} ${month}::date`,
  ];
}

/**
 * Rows past a place in the list's order (paid-through month, village in byte order, id): the
 * connection's keyset. The bound on the month alone is what the index can seek to; the rest filters.
 */
function pastPosition(position: WorkListPosition, side: "after" | "before"): SQL {
  const [month, village, id] = position;
  const [than, villageThan, orEqual] = side === "after" ? [sql`>`, sql`~>~`, sql`>=`] : [sql`<`, sql`~<~`, sql`<=`];
  const pastMonth = sql`${participants.paidThrough} ${than} ${month}::date`;
  if (village === undefined) return pastMonth;
  const pastVillage =
    id === undefined
      ? sql`${participants.villageCode} ${villageThan} ${village}::text`
      : sql`(${participants.villageCode} ${villageThan} ${village}::text or (${participants.villageCode} = ${village}::text and ${participants.id} ${than} ${id}::bigint))`;
  return sql`${participants.paidThrough} ${orEqual} ${month}::date and (${pastMonth} or (${participants.paidThrough} = ${month}::date and ${pastVillage}))`;
}

export async function insertOutreachContact(db: Executor, row: typeof outreachContacts.$inferInsert) {
  const [created] = await db.insert(outreachContacts).values(row).returning();
  if (!created) throw new Error("outreach insert returned nothing");
  return created;
}

export type OutreachContactRow = typeof outreachContacts.$inferSelect;

/**
 * How many workers the list holds: each part counted on its own and the counts added. A part that
 * is a whole region (an officer's province, the country for ADMIN) comes from the coverage rollups,
 * so a national list costs the same as a village's; any other part is counted from its index.
 */
export async function countWorkList(
  db: Database,
  range: { from: string; through: string },
  filter: ParticipantFilter,
  viewer: Viewer,
  now: Date,
): Promise<number> {
  const region = scopeAsRegion(viewer, filter);
  // The region is always the first part (`visibleParticipantParts`).
  const counts = workListParts(range, filter, viewer, now).map((part, index) =>
    region && index === 0
      ? rolledUpParticipants(region, paidThroughMonths(range), now)
      : sql`(select count(*) from ${participants} where ${part})`,
  );
  if (counts.length === 0) return 0;
  const result = await db.execute(sql`select (${sql.join(counts, sql` + `)})::integer as "total"`);
  return Number(rowsOf<{ total: number }>(result)[0]?.total ?? 0);
}
