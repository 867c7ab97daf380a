/**
 * The row id inside a decoded global ID, or null when it cannot name a row, so a malformed id
 * answers "not found" instead of reaching the database as NaN.
 */
export function rowId(id: string | number | bigint): number | null {
  const value = typeof id === "number" ? id : /^[0-9]{1,16}$/.test(String(id)) ? Number(id) : Number.NaN;
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** Relay global IDs are base64 of `Type:id` (Pothos' default); for ids that arrive outside GraphQL. */
export function decodeGlobalId(globalId: string, type: string): number | null {
  let decoded: string;
  try {
    decoded = atob(globalId);
  } catch {
    return null;
  }
  const prefix = `${type}:`;
  return decoded.startsWith(prefix) ? rowId(decoded.slice(prefix.length)) : null;
}

export function encodeGlobalId(type: string, id: number): string {
  return btoa(`${type}:${id}`);
}

/** The global id of a reference that may be empty (an event's sponsor, say): null for null. */
export function globalIdOrNull(type: string, id: number | null | undefined): string | null {
  return id === null || id === undefined ? null : encodeGlobalId(type, id);
}
