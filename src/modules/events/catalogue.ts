/**
 * The partner event catalogue: names, payload versions and how a payload is shown to one
 * subscriber. Pure; the outbox stores `data` unmasked and masking happens per delivery.
 */

import { type EventType, eventTypes } from "../outbox/event-types";
import type { ParticipantSnapshot } from "../participants/events";
import { maskNik, maskPhone } from "../participants/masking";

/** `participant.status_changed` → `PARTICIPANT_STATUS_CHANGED`, the GraphQL enum value. */
export function eventTypeEnumValue(type: EventType): string {
  return type.replace(".", "_").toUpperCase();
}

export function eventTypeFromEnumValue(value: string): EventType | null {
  return eventTypes.find((type) => eventTypeEnumValue(type) === value) ?? null;
}

/** Who reads the payload: NIK and phone in full only with `pii:read`. */
export interface Reader {
  piiRead: boolean;
}

/** A snapshot's personal data as this reader may see it (everything else unchanged). */
export function maskedData(data: Record<string, unknown>, reader: Reader): Record<string, unknown> {
  if (reader.piiRead) return data;
  const participant = data.participant as Partial<ParticipantSnapshot> | undefined;
  if (!participant || typeof participant !== "object") return data;
  return {
    ...data,
    participant: {
      ...participant,
      ...(typeof participant.nik === "string" ? { nik: maskNik(participant.nik) } : {}),
      ...(typeof participant.phone === "string" ? { phone: maskPhone(participant.phone) } : {}),
    },
  };
}

export interface StoredEvent {
  id: number;
  type: string;
  version: number;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** `webhook-id`: one per event, the same on every attempt and redelivery, so receivers dedupe on it. */
export function webhookMessageId(eventId: number): string {
  return `msg_${eventId}`;
}

/** PostgreSQL's `2026-11-15 03:00:00.123456+00` as a Date. */
export function instant(value: string): Date {
  return new Date(value.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00"));
}

/** The body POSTed to one subscriber: the Standard Webhooks shape `{ type, timestamp, data }` plus id and version. */
export function payloadFor(event: StoredEvent, reader: Reader): string {
  return JSON.stringify({
    id: webhookMessageId(event.id),
    type: event.type,
    version: event.version,
    timestamp: instant(event.occurredAt).toISOString(),
    data: maskedData(event.data, reader),
  });
}
