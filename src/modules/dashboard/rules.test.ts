import { describe, expect, it } from "vitest";
import { monthNumber } from "../../shared/calendar";
import { progress, retentionShare } from "./rules";

describe("dashboard figures", () => {
  it("measures progress against a target and retention only once the month has come", () => {
    expect(progress(26_950_000, 53_900_000)).toBe(0.5);
    expect(progress(10, null)).toBeNull();
    const cohort = monthNumber("2026-01-01");
    expect(retentionShare(200, 150, cohort, 6, monthNumber("2026-11-01"))).toBe(0.75);
    expect(retentionShare(200, 150, cohort, 12, monthNumber("2026-11-01"))).toBeNull();
  });
});
