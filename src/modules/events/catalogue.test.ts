import { describe, expect, it } from "vitest";
import { eventTypes } from "../outbox/event-types";
import { eventTypeEnumValue, eventTypeFromEnumValue, maskedData, payloadFor } from "./catalogue";
import { defaultDeliveryPolicy, retryDelaySeconds } from "./delivery";

const participant = { id: "UGFydGljaXBhbnQ6MQ==", nik: "3171015708900001", phone: "+6281234567890", fullName: "Siti" };

describe("payloads", () => {
  it("mask NIK and phone without pii:read and keep everything else", () => {
    expect(maskedData({ participant, previousStatus: "ACTIVE" }, { piiRead: false })).toEqual({
      participant: { ...participant, nik: "3171************", phone: "+62812*****890" },
      previousStatus: "ACTIVE",
    });
    expect(maskedData({ participant }, { piiRead: true })).toEqual({ participant });
  });

  it("carry id, type, version and an ISO timestamp around the data", () => {
    const body = JSON.parse(
      payloadFor(
        { id: 7, type: "participant.updated", version: 1, occurredAt: "2026-11-15 03:00:00.123456+00", data: {} },
        { piiRead: false },
      ),
    );
    expect(body).toEqual({
      id: "msg_7",
      type: "participant.updated",
      version: 1,
      timestamp: "2026-11-15T03:00:00.123Z",
      data: {},
    });
  });

  it("name every event type in GraphQL and back", () => {
    for (const type of eventTypes) expect(eventTypeFromEnumValue(eventTypeEnumValue(type))).toBe(type);
    expect(eventTypeEnumValue("participant.status_changed")).toBe("PARTICIPANT_STATUS_CHANGED");
  });
});

describe("retry schedule", () => {
  it("backs off exponentially within Cloudflare's 12-hour delay limit", () => {
    const delays = Array.from({ length: defaultDeliveryPolicy.maxAttempts - 1 }, (_, i) => retryDelaySeconds(i + 1));
    expect(delays).toEqual([10, 40, 160, 640, 2_560, 10_240, 40_960]);
    expect(retryDelaySeconds(20)).toBe(43_200);
  });
});
