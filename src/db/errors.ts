/**
 * Whether PostgreSQL refused a statement because a value in it could not be read (SQLSTATE class
 * 22, data exception: a "date" that is not one, an id that is no number). Drizzle wraps the
 * driver's error, which carries the code, as its `cause`.
 */
export function isDataException(error: unknown): boolean {
  return sqlStateOf(error)?.startsWith("22") ?? false;
}

/** An error and the causes it wraps, outermost first (Drizzle's error, then the driver's). */
function* causesOf(error: unknown): Generator<unknown> {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) yield cause;
}

/** The SQLSTATE behind an error, however deep the driver and Drizzle wrapped it. */
export function sqlStateOf(error: unknown): string | undefined {
  for (const cause of causesOf(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Every message along an error's causes (Drizzle's "Failed query", then the server's own). */
export function messagesOf(error: unknown): string {
  return [...causesOf(error)]
    .filter((cause) => cause instanceof Error)
    .map((cause) => cause.message)
    .join("\n");
}
