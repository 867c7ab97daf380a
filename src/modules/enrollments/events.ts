/** Enrollments' partner events, written into the outbox inside the enrolling transaction. */
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client";
import { globalIdOrNull } from "../../shared/ids";
import { eventVersions } from "../outbox/event-types";
import { insertEvent } from "../outbox/outbox";
import { snapshotSql } from "../participants/events";
import type { sponsorships } from "../sponsors/tables";

type SponsorshipRow = typeof sponsorships.$inferSelect;

export function recordSponsorshipEnrolled(
  tx: Executor,
  sponsorship: SponsorshipRow,
  summary: { enrolled: number; created: number; rejected: number },
  now: Date,
): Promise<void> {
  return insertEvent(tx, {
    type: "sponsorship.enrolled",
    sponsorId: sponsorship.sponsorId,
    data: {
      sponsorship: {
        id: globalIdOrNull("Sponsorship", sponsorship.id),
        sponsorId: globalIdOrNull("Sponsor", sponsorship.sponsorId),
      },
      ...summary,
    },
    occurredAt: now,
  });
}

/** `participant.registered` for workers created in bulk (a sponsor's enrollment file), one statement. */
export async function recordBulkRegistrations(
  tx: Executor,
  participantIds: readonly number[],
  now: Date,
): Promise<void> {
  if (participantIds.length === 0) return;
  await tx.execute(sql`
    insert into outbox_events (type, version, participant_id, sponsor_id, data, occurred_at)
    select 'participant.registered', ${eventVersions["participant.registered"]}, p.id, p.sponsor_id,
      jsonb_build_object('participant', ${snapshotSql(sql`'PENDING'::text`)}), ${now.toISOString()}::timestamptz
    from participants p where p.id = any(${`{${participantIds.join(",")}}`}::bigint[])
    order by p.id`);
}
