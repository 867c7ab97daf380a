import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client";
import type { Viewer } from "../access/rules";
import { participantVisibility } from "../participants/conditions";
import { participants, sponsorshipEnrollments } from "../participants/tables";
import { enrollmentBatches } from "./tables";

export function findEnrollmentBatch(db: Executor, idempotencyScope: string, idempotencyKey: string) {
  return db.query.enrollmentBatches.findFirst({ where: { idempotencyScope, idempotencyKey } });
}

export async function insertEnrollmentBatch(tx: Transaction, row: typeof enrollmentBatches.$inferInsert) {
  await tx.insert(enrollmentBatches).values(row);
}

export function countActiveEnrollments(db: Executor, sponsorshipId: number): Promise<number> {
  return db.$count(
    sponsorshipEnrollments,
    and(eq(sponsorshipEnrollments.sponsorshipId, sponsorshipId), isNull(sponsorshipEnrollments.endedOn)),
  );
}

/** Which of these participants the sponsorship already covers. */
export async function alreadyEnrolled(
  db: Executor,
  sponsorshipId: number,
  participantIds: number[],
): Promise<Set<number>> {
  const enrolled = new Set<number>();
  for (let i = 0; i < participantIds.length; i += 5_000) {
    const rows = await db
      .select({ participantId: sponsorshipEnrollments.participantId })
      .from(sponsorshipEnrollments)
      .where(
        and(
          eq(sponsorshipEnrollments.sponsorshipId, sponsorshipId),
          inArray(sponsorshipEnrollments.participantId, participantIds.slice(i, i + 5_000)),
        ),
      );
    for (const row of rows) enrolled.add(row.participantId);
  }
  return enrolled;
}

export async function enroll(tx: Transaction, sponsorshipId: number, participantIds: number[], at: Date) {
  const enrolledAt = at.toISOString();
  for (let i = 0; i < participantIds.length; i += 5_000) {
    await tx
      .insert(sponsorshipEnrollments)
      .values(participantIds.slice(i, i + 5_000).map((participantId) => ({ sponsorshipId, participantId, enrolledAt })))
      .onConflictDoNothing();
  }
}

/** The workers a sponsorship covers now, with what pricing and status need. */
/** The workers a sponsorship covers that the viewer may see: figures never count what a caller cannot read. */
export function coveredWorkers(db: Executor, sponsorshipId: number, viewer: Viewer) {
  return db
    .select({
      segment: participants.segment,
      reportedMonthlyIncome: participants.reportedMonthlyIncome,
      riskLevel: participants.riskLevel,
      paidThrough: participants.paidThrough,
      exitedOn: participants.exitedOn,
    })
    .from(sponsorshipEnrollments)
    .innerJoin(participants, eq(participants.id, sponsorshipEnrollments.participantId))
    .where(and(eq(sponsorshipEnrollments.sponsorshipId, sponsorshipId), participantVisibility(participants, viewer)));
}
