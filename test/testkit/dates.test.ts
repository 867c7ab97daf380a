import { describe, expect, it } from "vitest";
import {
  at,
  daysFromToday,
  daysInMonth,
  firstInstantOf,
  lastDateOf,
  lastMinuteOf,
  month,
  monthKey,
  monthsBetween,
  TODAY,
  TODAY_DATE,
  year,
} from "./dates";

/** The test calendar holds at whatever instant TEST_TODAY names (CI runs it at a year's last WIB minute). */
describe("the tests' calendar, relative to TODAY", () => {
  it("puts TODAY inside its own WIB month", () => {
    expect(firstInstantOf(0) <= TODAY).toBe(true);
    expect(TODAY < firstInstantOf(1)).toBe(true);
    expect(TODAY_DATE.slice(0, 7)).toBe(monthKey(0));
  });

  it("walks months across year ends without gaps", () => {
    for (let offset = -30; offset <= 30; offset++) {
      expect(monthsBetween(month(offset), month(offset + 1))).toBe(1);
      expect(month(offset)).toBe(`${monthKey(offset)}-01`);
      // One minute after a month's last minute is the next month's first instant.
      expect(new Date(new Date(lastMinuteOf(offset)).getTime() + 60_000).toISOString()).toBe(
        firstInstantOf(offset + 1),
      );
      expect(lastDateOf(offset)).toBe(`${monthKey(offset)}-${String(daysInMonth(offset)).padStart(2, "0")}`);
    }
    expect(month(12).slice(0, 4)).toBe(String(year(1)));
  });

  it("turns WIB times into UTC instants (UTC+7, no daylight saving)", () => {
    expect(at(0, 1, "07:00")).toBe(`${monthKey(0)}-01T00:00:00.000Z`);
    expect(daysFromToday(0)).toBe(TODAY_DATE);
    expect(() => at(0, 32)).toThrow("has no day 32");
  });
});
