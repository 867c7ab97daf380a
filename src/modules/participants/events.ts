/**
 * A participant as partner events show it (unmasked in the outbox; masked per subscriber when
 * delivered), and the participant's own events.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client";
import { encodeGlobalId } from "../../shared/ids";
import { insertEvent, type NewEvent } from "../outbox/outbox";
import { nextDueDate, participantStatus } from "./rules";
import type { participants } from "./tables";

type ParticipantRow = typeof participants.$inferSelect;

export interface ParticipantSnapshot {
  id: string;
  nik: string;
  fullName: string;
  phone: string | null;
  segment: string;
  ecosystem: string;
  regionCode: string;
  sponsorId: string | null;
  status: string;
  paidThrough: string | null;
  nextDueDate: string;
}

export function participantSnapshot(row: ParticipantRow, now: Date): ParticipantSnapshot {
  return {
    id: encodeGlobalId("Participant", row.id),
    nik: row.nik,
    fullName: row.fullName,
    phone: row.phone,
    segment: row.segment,
    ecosystem: row.ecosystemCode,
    regionCode: row.villageCode,
    sponsorId: row.sponsorId === null ? null : encodeGlobalId("Sponsor", row.sponsorId),
    status: participantStatus(row, now),
    paidThrough: row.paidThrough?.slice(0, 7) ?? null,
    nextDueDate: nextDueDate(row.paidThrough, row.registeredAt),
  };
}

export function recordParticipantEvent(
  tx: Executor,
  type:
    | "participant.registered"
    | "participant.updated"
    | "participant.exited"
    | "participant.exit_withdrawn"
    | "participant.returned"
    | "participant.moved"
    | "participant.verified"
    | "participant.verification_failed",
  row: ParticipantRow,
  now: Date,
  extra: Record<string, unknown> = {},
): Promise<void> {
  return insertEvent(tx, {
    type,
    participantId: row.id,
    sponsorId: row.sponsorId,
    data: { participant: participantSnapshot(row, now), ...extra },
    occurredAt: now,
  });
}

/** The status change a write caused, if it caused one. */
export function statusChange(before: ParticipantRow, after: ParticipantRow, now: Date, cause: string): NewEvent | null {
  const from = participantStatus(before, now);
  const to = participantStatus(after, now);
  if (from === to) return null;
  return {
    type: "participant.status_changed",
    participantId: after.id,
    sponsorId: after.sponsorId,
    data: { participant: participantSnapshot(after, now), previousStatus: from, status: to, cause },
    occurredAt: now,
  };
}

/** The participant snapshot of `participantSnapshot`, built in SQL for thousands of rows at once. */
export function snapshotSql(status: SQL): SQL {
  return sql`jsonb_build_object(
    'id', encode(convert_to('Participant:' || p.id, 'UTF8'), 'base64'),
    'nik', p.nik, 'fullName', p.full_name, 'phone', p.phone, 'segment', p.segment,
    'ecosystem', p.ecosystem_code, 'regionCode', p.village_code,
    'sponsorId', encode(convert_to('Sponsor:' || p.sponsor_id, 'UTF8'), 'base64'),
    'status', ${status}, 'paidThrough', to_char(p.paid_through, 'YYYY-MM'),
    'nextDueDate', to_char(coalesce(p.paid_through + interval '1 month',
      p.registered_at at time zone 'Asia/Jakarta'), 'YYYY-MM') || '-15')`;
}
