/**
 * Whether PostgreSQL refused a statement because a value in it could not be read (SQLSTATE class
 * 22, data exception: a "date" that is not one, an id that is no number). Drizzle wraps the
 * driver's error, which carries the code, as its `cause`.
 */
export function isDataException(error: unknown): boolean {
  const sqlState = (error as { cause?: { code?: unknown } } | null | undefined)?.cause?.code;
  return typeof sqlState === "string" && sqlState.startsWith("22");
}
