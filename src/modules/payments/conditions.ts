import { and, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { wibDayEnd, wibDayStart } from "../../shared/calendar";
import { may } from "../access/actions";
import type { Viewer } from "../access/rules";
import { participantVisibility } from "../participants/conditions";
import { participants } from "../participants/tables";
import type { PaymentStatus, payments } from "./tables";

/**
 * SQL predicates on payments that other modules compose into their statements (the read planner):
 * the payments module's public surface for SQL. The store builds its own queries from them too.
 */

export interface PaymentFilter {
  status?: PaymentStatus | null;
  channel?: string | null;
  participantId?: number | null;
  payerSponsorId?: number | null;
  payer?: "SELF" | "SPONSOR" | null;
  /** Inclusive calendar dates in WIB. */
  createdFrom?: string | null;
  createdTo?: string | null;
}

export function paymentConditions(table: typeof payments, filter: PaymentFilter): SQL {
  const conditions: (SQL | undefined)[] = [];
  if (filter.status) conditions.push(eq(table.status, filter.status));
  if (filter.channel) conditions.push(eq(table.channel, filter.channel));
  if (filter.participantId != null) conditions.push(eq(table.participantId, filter.participantId));
  if (filter.payerSponsorId != null) conditions.push(eq(table.payerSponsorId, filter.payerSponsorId));
  if (filter.payer) conditions.push(eq(table.payer, filter.payer));
  if (filter.createdFrom) conditions.push(gte(table.createdAt, wibDayStart(filter.createdFrom)));
  if (filter.createdTo) conditions.push(lt(table.createdAt, wibDayEnd(filter.createdTo)));
  return and(...conditions) ?? sql`true`;
}

/** Payments whose participant the viewer may see, matching the filter. */
export function visiblePayments(table: typeof payments, filter: PaymentFilter, viewer: Viewer): SQL {
  const visibility = participantVisibility(participants, viewer);
  const scoped = may(viewer, "payment:readAll")
    ? undefined
    : inArray(table.participantId, sql`(select ${participants.id} from ${participants} where ${visibility})`);
  return and(scoped, paymentConditions(table, filter)) ?? sql`true`;
}
