/**
 * The Worker's cron triggers, for `npm run dev` to fire locally as Cloudflare fires them in
 * production (wrangler dev fires none by itself): the expressions come from `[triggers] crons` in
 * wrangler.toml, so the two never disagree, and are evaluated in UTC, as Cloudflare does.
 */

/** The `crons = [...]` of wrangler.toml's `[triggers]`. */
export function cronsOf(wranglerToml: string): string[] {
  const triggers = wranglerToml.split(/^\[/m).find((section) => section.startsWith("triggers]"));
  const list = triggers?.match(/^\s*crons\s*=\s*\[([^\]]*)\]/m)?.[1];
  if (list === undefined) return [];
  return [...list.matchAll(/"([^"]*)"/g)].map((match) => match[1] ?? "");
}

/** [lowest, highest] of each field: minute, hour, day of month, month, day of week (0 and 7 are Sunday). */
const FIELDS: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** The values one field of a cron expression allows: `*`, `n`, `a-b`, any of them `/step`, comma-separated. */
function allowed(field: string, [lowest, highest]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const match = part.match(/^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/);
    if (!match) throw new Error(`cron field "${field}" is not one npm run dev understands (numbers, ranges, steps)`);
    const from = match[1] === "*" ? lowest : Number(match[2]);
    const to = match[1] === "*" ? highest : match[3] !== undefined ? Number(match[3]) : match[4] ? highest : from;
    const step = match[4] ? Number(match[4]) : 1;
    if (from < lowest || to > highest || from > to || step < 1)
      throw new Error(`cron field "${field}" is out of range`);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** Whether a five-field cron expression fires in the minute that holds `at` (UTC). */
export function cronMatches(expression: string, at: Date): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expression}" needs five fields`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields.map((field, k) => allowed(field, FIELDS[k] ?? [0, 0]));
  if (!minute || !hour || !dayOfMonth || !month || !dayOfWeek) return false;
  const weekday = at.getUTCDay();
  const dayMatches =
    fields[2] !== "*" && fields[4] !== "*"
      ? // Both restricted: either may match (standard cron).
        dayOfMonth.has(at.getUTCDate()) || dayOfWeek.has(weekday) || (weekday === 0 && dayOfWeek.has(7))
      : dayOfMonth.has(at.getUTCDate()) && (dayOfWeek.has(weekday) || (weekday === 0 && dayOfWeek.has(7)));
  return minute.has(at.getUTCMinutes()) && hour.has(at.getUTCHours()) && month.has(at.getUTCMonth() + 1) && dayMatches;
}

/** The URL that fires one cron on a local wrangler dev (Miniflare's trigger), at `at`'s minute. */
export function scheduledUrl(origin: string, cron: string, at?: Date): string {
  const url = new URL("/cdn-cgi/local/scheduled", origin);
  url.searchParams.set("cron", cron);
  if (at) url.searchParams.set("time", String(Math.floor(at.getTime() / 60_000) * 60_000));
  return url.toString();
}
