import { describe, expect, it } from "vitest";
import { offlineVerifier } from "./offline-verifier";
import { checkOutcome, decideVerification, identityCheckPolicy, retryDelayMinutes } from "./rules";
import type { RegistryAnswer } from "./verifier";

const match: RegistryAnswer = {
  nikFound: true,
  name: { matches: true, similarity: 1 },
  birthDateMatches: true,
  deceased: false,
  faceMatchScore: null,
};
const now = new Date("2026-11-15T03:00:00Z");

describe("deciding a registry answer", () => {
  it("verifies a full match, and names every field that does not match", () => {
    expect(decideVerification(match)).toEqual({ status: "VERIFIED" });
    expect(
      decideVerification({
        ...match,
        name: { matches: false, similarity: 0.4 },
        birthDateMatches: false,
        faceMatchScore: 0.5,
      }),
    ).toEqual({ status: "MISMATCH", fields: ["name", "birthDate", "face"] });
    expect(decideVerification({ ...match, faceMatchScore: 0.8 })).toEqual({ status: "VERIFIED" });
  });

  it("puts a death before mismatches, and an unknown NIK before everything else", () => {
    expect(decideVerification({ ...match, deceased: true, birthDateMatches: false })).toEqual({ status: "DECEASED" });
    expect(decideVerification({ ...match, nikFound: false, name: null })).toEqual({ status: "NOT_FOUND" });
  });
});

describe("a check's outcome", () => {
  it("asks an unavailable registry again after each wait, then gives up as UNAVAILABLE", () => {
    const waits = identityCheckPolicy.retryAfterMinutes;
    for (let attempts = 0; attempts < waits.length; attempts++) {
      expect(
        checkOutcome({ attempts }, "UNVERIFIED", { kind: "UNAVAILABLE", reason: "503", retryable: true }, now),
      ).toEqual({
        kind: "RETRY",
        attempts: attempts + 1,
        nextAttemptAt: new Date(now.getTime() + (waits[attempts] ?? 0) * 60_000).toISOString(),
      });
    }
    expect(retryDelayMinutes(waits.length + 1)).toBeNull();
    expect(
      checkOutcome(
        { attempts: waits.length },
        "UNVERIFIED",
        { kind: "UNAVAILABLE", reason: "503", retryable: true },
        now,
      ),
    ).toMatchObject({ kind: "DECIDED", status: "UNAVAILABLE", participantStatus: "UNAVAILABLE" });
  });

  it("gives up at once when asking again cannot help, and keeps what the registry said before", () => {
    const refused = { kind: "UNAVAILABLE", reason: "HTTP 401", retryable: false } as const;
    expect(checkOutcome({ attempts: 0 }, "VERIFIED", refused, now)).toMatchObject({
      kind: "DECIDED",
      status: "UNAVAILABLE",
      participantStatus: "VERIFIED",
    });
    expect(checkOutcome({ attempts: 0 }, "MISMATCH", { kind: "ANSWERED", answer: match }, now)).toMatchObject({
      status: "VERIFIED",
      participantStatus: "VERIFIED",
    });
  });
});

describe("the offline verifier", () => {
  it.each([
    ["0001", { status: "VERIFIED" }],
    ["9990", { status: "NOT_FOUND" }],
    ["9994", { status: "NOT_FOUND" }],
    ["9995", { status: "DECEASED" }],
    ["9996", { status: "DECEASED" }],
    ["9997", { status: "MISMATCH", fields: ["name"] }],
    ["9998", { status: "MISMATCH", fields: ["birthDate"] }],
  ])("answers serial %s as its rules say", async (serial, decision) => {
    const result = await offlineVerifier().verify({
      nik: `317101010190${serial}`,
      fullName: "A",
      birthDate: "1990-01-01",
    });
    if (result.kind !== "ANSWERED") throw new Error("no answer");
    expect(decideVerification(result.answer)).toEqual(decision);
  });

  it("never answers serial 9999, retryably", async () => {
    expect(await offlineVerifier().verify({ nik: "3171010101909999", fullName: "A", birthDate: "1990-01-01" })).toEqual(
      {
        kind: "UNAVAILABLE",
        reason: "offline: serial 9999",
        retryable: true,
      },
    );
  });
});
