import { describe, expect, it } from "vitest";
import { canSeeParticipant } from "../participants/conditions";
import { maskNik, maskPhone } from "../participants/masking";
import { canSeeSponsor } from "../sponsors/conditions";
import { hasScope, inRegion, type Viewer } from "./rules";

const user = (overrides: Partial<Extract<Viewer, { kind: "user" }>>): Viewer => ({
  kind: "user",
  role: "ADMIN",
  subject: "u1",
  scopes: new Set(),
  ...overrides,
});
const jakartaWorker = {
  id: 7,
  villageCode: "31.71.01.1001",
  sponsorId: 3,
  registeredById: 9,
  registeredBySubject: "partner-app",
};

describe("participant visibility", () => {
  it("lets ADMIN see everyone and anonymous callers no one", () => {
    expect(canSeeParticipant(user({ role: "ADMIN" }), jakartaWorker)).toBe(true);
    expect(canSeeParticipant({ kind: "anonymous" }, jakartaWorker)).toBe(false);
  });

  it("limits an OFFICER to their region prefix at a level boundary", () => {
    expect(canSeeParticipant(user({ role: "OFFICER", regionCode: "31.71" }), jakartaWorker)).toBe(true);
    expect(canSeeParticipant(user({ role: "OFFICER", regionCode: "31.7" }), jakartaWorker)).toBe(false);
    expect(canSeeParticipant(user({ role: "OFFICER", regionCode: "32" }), jakartaWorker)).toBe(false);
    expect(canSeeParticipant(user({ role: "OFFICER" }), jakartaWorker)).toBe(false);
  });

  it("limits a SPONSOR to the workers it sponsors and a PARTICIPANT to themself", () => {
    expect(canSeeParticipant(user({ role: "SPONSOR", sponsorId: 3 }), jakartaWorker)).toBe(true);
    expect(canSeeParticipant(user({ role: "SPONSOR", sponsorId: 4 }), jakartaWorker)).toBe(false);
    expect(canSeeParticipant(user({ role: "PARTICIPANT", participantId: 7 }), jakartaWorker)).toBe(true);
    expect(canSeeParticipant(user({ role: "PARTICIPANT", participantId: 8 }), jakartaWorker)).toBe(false);
  });

  it("lets whoever registered a worker see them", () => {
    expect(canSeeParticipant(user({ role: "PARTICIPANT", participantId: 9 }), jakartaWorker)).toBe(true);
    expect(canSeeParticipant(user({ role: "PARTNER", subject: "partner-app" }), jakartaWorker)).toBe(true);
    expect(canSeeParticipant(user({ role: "PARTNER", subject: "other-app" }), jakartaWorker)).toBe(false);
  });

  it("lets a PARTNER read only with participants:read", () => {
    expect(canSeeParticipant(user({ role: "PARTNER", scopes: new Set(["participants:read"]) }), jakartaWorker)).toBe(
      true,
    );
    expect(canSeeParticipant(user({ role: "PARTNER", scopes: new Set(["payments:write"]) }), jakartaWorker)).toBe(
      false,
    );
  });
});

describe("sponsor visibility and scopes", () => {
  it("shows a sponsor to staff and to itself", () => {
    expect(canSeeSponsor(user({ role: "OFFICER", regionCode: "31" }), 3)).toBe(true);
    expect(canSeeSponsor(user({ role: "SPONSOR", sponsorId: 3 }), 3)).toBe(true);
    expect(canSeeSponsor(user({ role: "SPONSOR", sponsorId: 4 }), 3)).toBe(false);
    expect(canSeeSponsor(user({ role: "PARTICIPANT", participantId: 1 }), 3)).toBe(false);
  });

  it("gives ADMIN every scope and others only what they hold", () => {
    expect(hasScope(user({ role: "ADMIN" }), "pii:read")).toBe(true);
    expect(hasScope(user({ role: "OFFICER", scopes: new Set(["pii:read"]) }), "pii:read")).toBe(true);
    expect(hasScope(user({ role: "OFFICER" }), "pii:read")).toBe(false);
  });
});

describe("masking", () => {
  it("masks all but a NIK's province and regency, and the middle of a phone number", () => {
    expect(maskNik("3171012345670001")).toBe("3171************");
    expect(maskPhone("+6281234567890")).toBe("+62812*****890");
    expect(inRegion("31.71.01.1001", "31.71.01.1001")).toBe(true);
  });
});
