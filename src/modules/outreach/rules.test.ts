import { describe, expect, it } from "vitest";
import { rollupFoldHorizon } from "../dashboard/conditions";
import { inactiveSince, monthsUntilInactive, outreachLimits, outreachRange } from "./rules";

const window = { withinDays: 7, lapsedWithinMonths: 3 };
// 10:00 WIB on these days.
const at = (date: string) => new Date(`${date}T03:00:00Z`);

describe("outreach work lists", () => {
  it("finds this month's due date while it is ahead, and next month's once it is within the window", () => {
    // 10 Nov: 15 Nov is within 7 days: workers paid through October.
    expect(outreachRange("DUE_SOON", at("2026-11-10"), window)).toEqual({
      from: "2026-10-01",
      through: "2026-10-01",
      order: "asc",
    });
    // 20 Nov: 15 Nov has passed and 15 Dec is 25 days away: nobody is due within 7 days.
    expect(outreachRange("DUE_SOON", at("2026-11-20"), window)).toBeNull();
    // 9 Dec: 15 Dec is within 7 days: workers paid through November.
    expect(outreachRange("DUE_SOON", at("2026-12-09"), window)?.from).toBe("2026-11-01");
    // A 45-day window on 10 Nov spans 15 Nov and 15 Dec.
    expect(outreachRange("DUE_SOON", at("2026-11-10"), { ...window, withinDays: 45 })).toMatchObject({
      from: "2026-10-01",
      through: "2026-11-01",
    });
  });

  it("takes the grace months, fewest protected months first", () => {
    expect(outreachRange("IN_GRACE", at("2026-11-20"), window)).toEqual({
      from: "2026-09-01",
      through: "2026-10-01",
      order: "asc",
    });
  });

  it("takes workers who lapsed within the window, most recent first", () => {
    // Paid through August: inactive since November (this month). Through June: since September.
    expect(outreachRange("WIN_BACK", at("2026-11-20"), window)).toEqual({
      from: "2026-06-01",
      through: "2026-08-01",
      order: "desc",
    });
    expect(outreachRange("WIN_BACK", at("2026-11-20"), { ...window, lapsedWithinMonths: 1 })?.from).toBe("2026-08-01");
  });

  it("counts protected months left and the month protection stopped", () => {
    const now = at("2026-11-20");
    expect(monthsUntilInactive("2026-11-01", now)).toBe(3);
    expect(monthsUntilInactive("2026-10-01", now)).toBe(2);
    expect(monthsUntilInactive("2026-09-01", now)).toBe(1);
    expect(monthsUntilInactive("2026-08-01", now)).toBeNull();
    expect(monthsUntilInactive(null, now)).toBeNull();
    expect(inactiveSince("2026-08-01", now)).toBe("2026-11-01");
    expect(inactiveSince("2026-09-01", now)).toBeNull();
  });
});

describe("work lists and the folded coverage rollups", () => {
  it("never reach back to paid-through months the rollups have folded together", () => {
    // Work-list counts of whole regions are sums of coverage rollup rows per paid-through month.
    for (const today of ["2026-01-01T00:00:00Z", "2026-11-15T03:00:00Z", "2027-12-31T16:59:59Z"]) {
      const now = new Date(today);
      const widest = outreachRange("WIN_BACK", now, {
        withinDays: 0,
        lapsedWithinMonths: outreachLimits.maxLapsedWithinMonths,
      });
      expect(widest?.from && widest.from >= rollupFoldHorizon(now), today).toBe(true);
    }
  });
});
