import type { Fragment } from "./statement";

/**
 * How relay values (Pothos' global IDs, drizzle cursors) are written in SQL, byte for byte as the
 * executor writes them. Scalars carry their own SQL format (src/shared/scalars.ts). Every function
 * takes SQL expressions (column references) and returns an expression.
 */

/** A column of a row alias: `t3."full_name"`. Names come from the drizzle tables. */
export function column(row: string, name: string): string {
  return `${row}."${name}"`;
}

/** Base64 of the UTF-8 bytes, on one line (PostgreSQL wraps base64 at 76 characters). */
export function base64(text: string): string {
  return `translate(encode(convert_to(${text}, 'UTF8'), 'base64'), E'\\n', '')`;
}

/** A relay global ID, `base64("Participant:12")`; type names are GraphQL names, safe to quote. */
export function globalId(typeName: string, id: string): string {
  return base64(`'${typeName}:' || ${id}::text`);
}

/** What a drizzle cursor holds for one ordering column (`@pothos/core` encodeCursorChunk). */
export type CursorPart = { tag: "S"; text: string } | { tag: "N"; number: string };

/**
 * `base64("DC:" + chunk)`: one column writes its chunk, several a `T:` JSON array of chunks
 * (`encodeCursorTuple`). `to_json(text)::text` escapes a string as JSON.stringify does.
 */
export function cursor(parts: readonly CursorPart[]): string {
  const chunk = (part: CursorPart) => (part.tag === "S" ? `'S:' || ${part.text}` : `'N:' || ${part.number}::text`);
  if (parts.length === 1) return base64(`'DC:' || ${chunk(parts[0] as CursorPart)}`);
  const items = parts.map((part) => `to_json(${chunk(part)})::text`).join(` || ',' || `);
  return base64(`'DC:T:[' || ${items} || ']'`);
}

/** The JSON a per-object check writes where the executor would answer null with FORBIDDEN. */
export const DENIED_MARK = `{"!denied"`;
export const denied: Fragment = [`json_build_object('!denied', true)`];
