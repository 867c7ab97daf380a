/**
 * "Today" in tests, and every date a test needs, derived from it.
 *
 * The API's clock is pinned to `TODAY` (test/testkit/api.ts), and no test writes a literal date
 * that assumes which month or year it is: dates come from the helpers below, relative to TODAY's
 * WIB month. `TEST_TODAY` moves the whole suite to another instant; `.ci/run` runs it again at the
 * last minute of a WIB year (`2027-12-31T16:59:00Z`), where a month, a year and a UTC/WIB day
 * all turn over together.
 *
 * Written independently of src/shared/calendar.ts on purpose: a test's expectation must not be
 * computed by the code under test.
 */
const DEFAULT_TODAY = "2026-11-15T03:00:00Z";

function parseToday(value: string): string {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at.getTime())) {
    throw new Error(`TEST_TODAY must be an ISO-8601 instant such as 2027-12-31T16:59:00Z, got "${value}"`);
  }
  return at.toISOString();
}

/** The instant tests run "at": the API's pinned clock. `TEST_TODAY` overrides it. */
export const TODAY = parseToday(process.env.TEST_TODAY || DEFAULT_TODAY);

const WIB_MS = 7 * 60 * 60 * 1000;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** TODAY's WIB calendar date, `YYYY-MM-DD`. */
export const TODAY_DATE = new Date(new Date(TODAY).getTime() + WIB_MS).toISOString().slice(0, 10);

/** Months since year 0 of TODAY's WIB month. */
const todayMonthNumber = Number(TODAY_DATE.slice(0, 4)) * 12 + Number(TODAY_DATE.slice(5, 7)) - 1;

function yearMonth(offset: number): { year: number; month: number } {
  const n = todayMonthNumber + offset;
  return { year: Math.floor(n / 12), month: (n % 12) + 1 };
}

/** `YYYY-MM` of the WIB month `offset` months from TODAY's (0: this month, -1: last month). */
export function monthKey(offset = 0): string {
  const { year, month } = yearMonth(offset);
  return `${pad(year, 4)}-${pad(month)}`;
}

/** `YYYY-MM-01`: the first day of that month (how `paidThrough` and coverage months are stored). */
export function month(offset = 0): string {
  return `${monthKey(offset)}-01`;
}

/** The number of days in that month. */
export function daysInMonth(offset = 0): number {
  const { year, month: m } = yearMonth(offset);
  return new Date(Date.UTC(year, m, 0)).getUTCDate();
}

/** `YYYY-MM-DD`: day `day` of that month (a day past the month's end is refused, not wrapped). */
export function dateIn(offset: number, day: number): string {
  if (day < 1 || day > daysInMonth(offset)) throw new Error(`${monthKey(offset)} has no day ${day}`);
  return `${monthKey(offset)}-${pad(day)}`;
}

/** The last day of that month, `YYYY-MM-DD`. */
export function lastDateOf(offset = 0): string {
  return dateIn(offset, daysInMonth(offset));
}

/**
 * An instant on day `day` of that month, at `wibTime` in WIB (10:00 by default, safely inside
 * the WIB and the UTC day alike), as a UTC ISO string.
 */
export function at(offset: number, day: number, wibTime = "10:00"): string {
  return new Date(`${dateIn(offset, day)}T${wibTime}:00+07:00`).toISOString();
}

/** The last minute of that WIB month (23:59 WIB on its last day), as a UTC ISO string. */
export function lastMinuteOf(offset = 0): string {
  return at(offset, daysInMonth(offset), "23:59");
}

/** The first instant of that WIB month (00:00 WIB on the 1st), as a UTC ISO string. */
export function firstInstantOf(offset = 0): string {
  return at(offset, 1, "00:00");
}

/** The WIB calendar date `days` after TODAY's (before, when negative), `YYYY-MM-DD`. */
export function daysFromToday(days: number): string {
  const date = new Date(`${TODAY_DATE}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The instant `days` days after TODAY (same time of day). */
export function instantDaysFromToday(days: number): string {
  return new Date(new Date(TODAY).getTime() + days * 24 * 60 * 60 * 1000).toISOString();
}

/** TODAY's WIB year plus `offset`. */
export function year(offset = 0): number {
  return Number(TODAY_DATE.slice(0, 4)) + offset;
}

/** Whole months from `from` to `to` (both `YYYY-MM…`): how far apart two months are. */
export function monthsBetween(from: string, to: string): number {
  const number = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
  return number(to) - number(from);
}
