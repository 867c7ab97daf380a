/**
 * A participant as partner events show it (unmasked in the outbox; masked per subscriber when
 * delivered), and the participant's own events.
 */
import type { Executor } from "../../db/client";
import { encodeGlobalId } from "../../shared/ids";
import { insertEvent } from "../outbox/outbox";
import { membershipStatus, nextDueDate } from "./rules";
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
    status: membershipStatus(row.paidThrough, now),
    paidThrough: row.paidThrough?.slice(0, 7) ?? null,
    nextDueDate: nextDueDate(row.paidThrough, row.registeredAt),
  };
}

export function recordParticipantEvent(
  tx: Executor,
  type: "participant.registered" | "participant.updated",
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
