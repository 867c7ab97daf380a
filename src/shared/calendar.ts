/** Calendar days are Western Indonesia Time (WIB, UTC+7): the instant a WIB day starts. */
export function wibDayStart(isoDate: string): string {
  return `${isoDate}T00:00:00+07:00`;
}

/** The instant the WIB day after `isoDate` starts: the exclusive end of an inclusive date range. */
export function wibDayEnd(isoDate: string): string {
  return wibDayStart(addDays(isoDate, 1));
}

/** A calendar date `days` later (or earlier, when negative): `YYYY-MM-DD`. */
export function addDays(isoDate: string, days: number): string {
  const day = new Date(`${isoDate}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/** Billing months are WIB months too: UTC+7, no daylight saving. */
const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

/** The WIB calendar date (`YYYY-MM-DD`) of an instant. */
export function wibDate(at: Date): string {
  return new Date(at.getTime() + WIB_OFFSET_MS).toISOString().slice(0, 10);
}

/** Months since year 0: a month as one integer, so month arithmetic is subtraction. */
export function monthNumber(isoDate: string): number {
  const year = Number(isoDate.slice(0, 4));
  const month = Number(isoDate.slice(5, 7));
  return year * 12 + (month - 1);
}

/** The first day (`YYYY-MM-01`) of a month number. */
export function monthStart(month: number): string {
  const year = Math.floor(month / 12);
  const m = (month % 12) + 1;
  return `${String(year).padStart(4, "0")}-${String(m).padStart(2, "0")}-01`;
}

/** The instant the WIB month after the one `isoDate` falls in starts: a month's exclusive end. */
export function wibMonthEnd(isoDate: string): string {
  return wibDayStart(monthStart(monthNumber(isoDate) + 1));
}

/** The current billing month in WIB, as a month number. */
export function currentMonth(now: Date): number {
  return monthNumber(new Date(now.getTime() + WIB_OFFSET_MS).toISOString());
}
