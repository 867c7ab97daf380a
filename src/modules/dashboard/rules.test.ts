import { describe, expect, it } from "vitest";
import { monthNumber } from "../participants/rules";
import { progress, retentionShare, statusCounts } from "./rules";

describe("status counts from paid-through buckets", () => {
  it("counts each status with the same ranges as a single participant's status", () => {
    const buckets = [
      { paidThrough: null, participants: 5 },
      { paidThrough: "2026-12-01", participants: 10 },
      { paidThrough: "2026-11-01", participants: 20 },
      { paidThrough: "2026-10-01", participants: 3 },
      { paidThrough: "2026-09-01", participants: 2 },
      { paidThrough: "2026-08-01", participants: 7 },
    ];
    expect(statusCounts(buckets, new Date("2026-11-15T00:00:00Z"))).toEqual({
      registered: 47,
      pending: 5,
      active: 30,
      grace: 5,
      inactive: 7,
    });
    expect(statusCounts(buckets, new Date("2026-12-15T00:00:00Z"))).toMatchObject({
      active: 10,
      grace: 23,
      inactive: 9,
    });
  });

  it("measures progress against a target and retention only once the month has come", () => {
    expect(progress(26_950_000, 53_900_000)).toBe(0.5);
    expect(progress(10, null)).toBeNull();
    const cohort = monthNumber("2026-01-01");
    expect(retentionShare(200, 150, cohort, 6, monthNumber("2026-11-01"))).toBe(0.75);
    expect(retentionShare(200, 150, cohort, 12, monthNumber("2026-11-01"))).toBeNull();
  });
});
