import { describe, expect, it } from "vitest";
import { currentMonth, monthNumber, monthStart } from "../../shared/calendar";
import { membershipStatus, monthsInArrears, nextDueDate, paidThroughRange } from "./rules";

const at = (iso: string) => new Date(iso);

describe("membership status", () => {
  it("is PENDING before the first payment", () => {
    expect(membershipStatus(null, at("2026-11-25T00:00:00Z"))).toBe("PENDING");
    expect(monthsInArrears(null, at("2026-11-25T00:00:00Z"))).toBeNull();
  });

  it("is ACTIVE when paid through the current month or beyond", () => {
    expect(membershipStatus("2026-11-01", at("2026-11-30T12:00:00Z"))).toBe("ACTIVE");
    expect(membershipStatus("2027-04-01", at("2026-11-01T00:00:00Z"))).toBe("ACTIVE");
    expect(monthsInArrears("2027-04-01", at("2026-11-01T00:00:00Z"))).toBe(0);
  });

  it("counts months in WIB: 17:00 UTC on the last day is already the next month", () => {
    expect(currentMonth(at("2026-11-30T16:59:59Z"))).toBe(monthNumber("2026-11-01"));
    expect(currentMonth(at("2026-11-30T17:00:00Z"))).toBe(monthNumber("2026-12-01"));
    expect(membershipStatus("2026-11-01", at("2026-11-30T17:00:00Z"))).toBe("GRACE");
  });

  it("is GRACE with one or two unpaid months and INACTIVE from the third", () => {
    const now = at("2026-11-15T00:00:00Z");
    expect(membershipStatus("2026-10-01", now)).toBe("GRACE");
    expect(membershipStatus("2026-09-01", now)).toBe("GRACE");
    expect(monthsInArrears("2026-09-01", now)).toBe(2);
    expect(membershipStatus("2026-08-01", now)).toBe("INACTIVE");
    expect(monthsInArrears("2026-08-01", now)).toBe(3);
  });

  it("crosses year boundaries", () => {
    expect(membershipStatus("2025-12-01", at("2026-01-10T00:00:00Z"))).toBe("GRACE");
    expect(membershipStatus("2025-10-01", at("2026-01-10T00:00:00Z"))).toBe("INACTIVE");
    expect(monthStart(monthNumber("2025-12-01") + 1)).toBe("2026-01-01");
  });

  it("maps each status to the paid_through range that holds it", () => {
    const now = at("2026-11-15T00:00:00Z");
    expect(paidThroughRange("PENDING", now)).toEqual({ isNull: true });
    expect(paidThroughRange("ACTIVE", now)).toEqual({ from: "2026-11-01" });
    expect(paidThroughRange("GRACE", now)).toEqual({ from: "2026-09-01", before: "2026-11-01" });
    expect(paidThroughRange("INACTIVE", now)).toEqual({ before: "2026-09-01" });
  });

  it("agrees with the status of every month around today", () => {
    const now = at("2026-11-15T00:00:00Z");
    for (let offset = -15; offset <= 15; offset++) {
      const paidThrough = monthStart(currentMonth(now) + offset);
      const status = membershipStatus(paidThrough, now);
      const range = paidThroughRange(status, now);
      expect("isNull" in range).toBe(false);
      if ("from" in range && range.from) expect(paidThrough >= range.from).toBe(true);
      if ("before" in range && range.before) expect(paidThrough < range.before).toBe(true);
    }
  });
});

describe("next due date", () => {
  it("is the 15th of the first unpaid month", () => {
    expect(nextDueDate("2026-11-01", "2025-01-10T03:00:00Z")).toBe("2026-12-15");
    expect(nextDueDate("2026-12-01", "2025-01-10T03:00:00Z")).toBe("2027-01-15");
  });

  it("is the registration month's 15th before the first payment, counted in WIB", () => {
    expect(nextDueDate(null, "2026-10-31T18:00:00Z")).toBe("2026-11-15");
  });
});
