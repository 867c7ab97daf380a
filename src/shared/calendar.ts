/** Calendar days are Western Indonesia Time (WIB, UTC+7): the instant a WIB day starts. */
export function wibDayStart(isoDate: string): string {
  return `${isoDate}T00:00:00+07:00`;
}

/** The instant the WIB day after `isoDate` starts: the exclusive end of an inclusive date range. */
export function wibDayEnd(isoDate: string): string {
  const day = new Date(`${isoDate}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return wibDayStart(day.toISOString().slice(0, 10));
}
