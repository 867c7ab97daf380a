/**
 * CSV that spreadsheets open right: a UTF-8 BOM (names with accents), CRLF rows, a cell quoted when
 * it holds the separator, a quote or a line break, and a leading =, +, - or @ neutralised so a
 * cell is never read as a formula (CSV injection). `;` is what Excel with Indonesian settings
 * splits on; `numbers: "id"` writes numbers as Indonesian readers write them (1.234.567 and 0,75).
 */
export interface SpreadsheetOptions {
  separator: ";" | ",";
  numbers: "plain" | "id";
}

const indonesian = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 4 });

export function spreadsheetCsv(
  rows: readonly (readonly (string | number | null)[])[],
  options: SpreadsheetOptions = { separator: ";", numbers: "plain" },
): string {
  const cell = (value: string | number | null) => {
    const text =
      value === null
        ? ""
        : typeof value === "number" && options.numbers === "id"
          ? indonesian.format(value)
          : String(value);
    const safe = /^[=+\-@]/.test(text) && !/^-?[0-9][0-9.,]*$/.test(text) ? `'${text}` : text;
    const special = new RegExp(`[${options.separator}"\\r\\n]`);
    return special.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return `\uFEFF${rows.map((row) => row.map(cell).join(options.separator)).join("\r\n")}\r\n`;
}
