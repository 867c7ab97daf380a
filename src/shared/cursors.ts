import { decodeBase64, decodeCursorChunk } from "@pothos/core";

/**
 * The ordering values a connection cursor of plugin-drizzle holds (`DC:` and `@pothos/core`'s
 * cursor chunks), one per ordering column it covers: for statements that page by a cursor
 * themselves rather than through the plugin. Null when it is not such a cursor; the plugin
 * answers those with its own error.
 */
export function drizzleCursorValues(encoded: string, orderingColumns: number): unknown[] | null {
  try {
    const decoded = decodeBase64(encoded);
    if (!decoded.startsWith("DC:")) return null;
    const parsed = decodeCursorChunk(decoded.slice(3));
    const values = orderingColumns === 1 ? [parsed] : Array.isArray(parsed) ? parsed : [parsed];
    return values.length === 0 || values.length > orderingColumns ? null : values;
  } catch {
    return null;
  }
}
