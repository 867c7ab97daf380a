import { and, asc, desc, eq, inArray, isNull } from "drizzle-orm";
import type { Executor } from "../../db/client";
import { memberships, participants } from "../participants/tables";
import { payments, programMonths } from "../payments/tables";
import type { CoveredMonthOfPayment } from "./rules";

/** What a card shows of its holder and of the membership it is for. */
const cardColumns = {
  membershipId: memberships.id,
  participantId: participants.id,
  fullName: participants.fullName,
  nik: participants.nik,
  paidThrough: participants.paidThrough,
  kpj: memberships.kpj,
  segment: memberships.segment,
  programs: memberships.programs,
  startedOn: memberships.startedOn,
  endedOn: memberships.endedOn,
};

export type CardRow = {
  membershipId: number;
  participantId: number;
  fullName: string;
  nik: string;
  paidThrough: string | null;
  kpj: string;
  segment: (typeof memberships.$inferSelect)["segment"];
  programs: (typeof memberships.$inferSelect)["programs"];
  startedOn: string;
  endedOn: string | null;
};

/** The participant's open membership with its holder (the newest, if one is open in each of two segments). */
export async function openCardOf(db: Executor, participantId: number): Promise<CardRow | null> {
  const [row] = await db
    .select(cardColumns)
    .from(memberships)
    .innerJoin(participants, eq(participants.id, memberships.participantId))
    .where(and(eq(memberships.participantId, participantId), isNull(memberships.endedOn)))
    .orderBy(desc(memberships.startedOn), desc(memberships.id))
    .limit(1);
  return row ?? null;
}

/** A membership (open or ended) with its holder, by id: what a verified code names. */
export async function cardByMembershipId(db: Executor, membershipId: number): Promise<CardRow | null> {
  const [row] = await db
    .select(cardColumns)
    .from(memberships)
    .innerJoin(participants, eq(participants.id, memberships.participantId))
    .where(eq(memberships.id, membershipId));
  return row ?? null;
}

/**
 * Every month the participant's JHT is still paid for, with its payment's months and lines: a
 * settled payment's months, and a refunded one's used months (a refund removes only the unused),
 * whether JHT came with JKK and JKM or as the worker's own part beside a sponsor's payment.
 * One index range on program_months' primary key, each payment by its primary key.
 */
export function coveredMonthsWithPayments(db: Executor, participantId: number): Promise<CoveredMonthOfPayment[]> {
  return db
    .select({
      month: programMonths.month,
      paymentId: payments.id,
      paymentMonths: payments.months,
      lines: payments.lines,
    })
    .from(programMonths)
    .innerJoin(payments, eq(payments.id, programMonths.paymentId))
    .where(
      and(
        eq(programMonths.participantId, participantId),
        eq(programMonths.program, "JHT"),
        inArray(payments.status, ["SETTLED", "REFUNDED"]),
      ),
    )
    .orderBy(asc(programMonths.month));
}
