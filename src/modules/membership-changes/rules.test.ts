import { describe, expect, it } from "vitest";
import { exitReasonSources, exitReasons } from "../participants/exit-reasons";
import { exitPolicy, exitProblems, lastCoveredMonthOfExit, moveMonths, moveProblems } from "./rules";

// 15 Nov 2026, 10:00 WIB.
const now = new Date("2026-11-15T03:00:00Z");
const member = { birthDate: "1990-01-01", segment: "BPU" as const, startedOn: "2025-03-10" };
const codes = (problems: { code?: string; field: string }[]) => problems.map((p) => [p.field, p.code ?? null]);

describe("exit rules", () => {
  it("accept an exit on any day from the membership's first to today (WIB)", () => {
    for (const effectiveOn of ["2025-03-10", "2026-01-31", "2026-11-15"]) {
      expect(exitProblems({ reason: "DEATH", effectiveOn, jkmClaimReference: null }, member, now)).toEqual([]);
    }
  });

  it("refuse a day after today, even one that is today in UTC but not yet in WIB terms", () => {
    expect(
      codes(exitProblems({ reason: "DEATH", effectiveOn: "2026-11-16", jkmClaimReference: null }, member, now)),
    ).toEqual([["effectiveOn", "INVALID_EXIT_DATE"]]);
    // 16 Nov 00:30 WIB is still 15 Nov in UTC: the 16th is today.
    const justAfterMidnight = new Date("2026-11-15T17:30:00Z");
    expect(
      exitProblems({ reason: "DEATH", effectiveOn: "2026-11-16", jkmClaimReference: null }, member, justAfterMidnight),
    ).toEqual([]);
  });

  it("refuse a day before the membership began", () => {
    expect(
      codes(exitProblems({ reason: "DEATH", effectiveOn: "2025-03-09", jkmClaimReference: null }, member, now)),
    ).toEqual([["effectiveOn", "INVALID_EXIT_DATE"]]);
  });

  it("pay JHT for retirement from the 56th birthday on", () => {
    const older = { ...member, birthDate: "1970-11-15", startedOn: "2020-01-01" };
    expect(exitPolicy.retirementAge).toBe(56);
    expect(
      exitProblems({ reason: "RETIREMENT_AGE", effectiveOn: "2026-11-15", jkmClaimReference: null }, older, now),
    ).toEqual([]);
    expect(
      codes(exitProblems({ reason: "RETIREMENT_AGE", effectiveOn: "2026-11-14", jkmClaimReference: null }, older, now)),
    ).toEqual([["reason", "EXIT_NOT_ALLOWED"]]);
  });

  it("let only a BPU member stop on their own, and keep claim references for deaths", () => {
    const wageEarner = { ...member, segment: "PU" as const };
    expect(
      codes(
        exitProblems({ reason: "VOLUNTARY_STOP", effectiveOn: "2026-11-01", jkmClaimReference: null }, wageEarner, now),
      ),
    ).toEqual([["reason", "EXIT_NOT_ALLOWED"]]);
    expect(
      codes(
        exitProblems({ reason: "LEFT_INDONESIA", effectiveOn: "2026-11-01", jkmClaimReference: "JKM-1" }, member, now),
      ),
    ).toEqual([["jkmClaimReference", "EXIT_NOT_ALLOWED"]]);
  });

  it("name a source for every reason, and let no one come back from a death or a merged record", () => {
    for (const reason of exitReasons) expect(exitReasonSources[reason].source).not.toBe("");
    expect(exitReasons.filter((reason) => !exitReasonSources[reason].mayReturn)).toEqual(["DEATH", "DUPLICATE"]);
  });

  it("leave the exit's own month covered", () => {
    expect(lastCoveredMonthOfExit("2026-02-28")).toBe("2026-02-01");
    expect(lastCoveredMonthOfExit("2026-12-01")).toBe("2026-12-01");
  });
});

describe("move rules", () => {
  const employer = "PT Maju";
  it("move between BPU and PU only, with an employer for PU and none for BPU", () => {
    expect(moveProblems({ to: "PU", effectiveOn: "2026-11-01", employerName: employer }, member, now)).toEqual([]);
    expect(
      moveProblems({ to: "BPU", effectiveOn: "2026-11-01", employerName: null }, { ...member, segment: "PU" }, now),
    ).toEqual([]);
    expect(codes(moveProblems({ to: "BPU", effectiveOn: "2026-11-01", employerName: null }, member, now))).toEqual([
      ["to", null],
    ]);
    expect(codes(moveProblems({ to: "PMI", effectiveOn: "2026-11-01", employerName: null }, member, now))).toEqual([
      ["to", null],
    ]);
    expect(codes(moveProblems({ to: "PU", effectiveOn: "2026-11-01", employerName: null }, member, now))).toEqual([
      ["employer", null],
    ]);
    expect(
      codes(
        moveProblems(
          { to: "BPU", effectiveOn: "2026-11-01", employerName: employer },
          { ...member, segment: "PU" },
          now,
        ),
      ),
    ).toEqual([["employer", null]]);
  });

  it("date a move from the membership's first day to today", () => {
    expect(codes(moveProblems({ to: "PU", effectiveOn: "2026-11-16", employerName: employer }, member, now))).toEqual([
      ["effectiveOn", null],
    ]);
    expect(codes(moveProblems({ to: "PU", effectiveOn: "2025-03-09", employerName: employer }, member, now))).toEqual([
      ["effectiveOn", null],
    ]);
  });

  it("end the old membership at the month's end, the new segment paid from the next month", () => {
    expect(moveMonths("2026-02-10")).toEqual({
      lastOldMonth: "2026-02-01",
      oldEndsOn: "2026-02-28",
      firstNewMonth: "2026-03-01",
    });
    expect(moveMonths("2026-12-31")).toEqual({
      lastOldMonth: "2026-12-01",
      oldEndsOn: "2026-12-31",
      firstNewMonth: "2027-01-01",
    });
  });
});
