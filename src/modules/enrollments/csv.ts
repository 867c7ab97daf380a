import type { Program } from "../contributions/tables";
import type { RegisterParticipantInput } from "../participants/validation";

/** RFC 4180 CSV: comma-separated, fields optionally in double quotes with `""` for a quote, CRLF or LF rows. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (quoted) {
      if (char === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === "") quoted = true;
    else if (char === ",") {
      record.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && input[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ""));
}

export const enrollmentCsvColumns = [
  "nik",
  "fullName",
  "phone",
  "segment",
  "occupation",
  "ecosystem",
  "villageCode",
  "reportedMonthlyIncome",
  "programs",
] as const;
/** Every column but the phone, which a worker may not have. */
const required: readonly string[] = enrollmentCsvColumns.filter((column) => column !== "phone");

/**
 * The rows of an enrollment CSV as registration inputs. The header names the columns (any order);
 * `programs` is separated by `;` (`JKK;JKM`), income is whole rupiah. Cells are passed on as typed,
 * so a bad cell becomes that row's error, not the file's.
 */
export function enrollmentRowsFromCsv(text: string): { rows: RegisterParticipantInput[] } | { problem: string } {
  const [header, ...records] = parseCsv(text);
  if (!header) return { problem: "The file is empty" };
  const columns = header.map((name) => name.trim());
  const missing = required.filter((name) => !columns.includes(name));
  if (missing.length > 0) return { problem: `Missing columns: ${missing.join(", ")}` };
  const unknown = columns.filter((name) => !(enrollmentCsvColumns as readonly string[]).includes(name));
  if (unknown.length > 0) return { problem: `Unknown columns: ${unknown.join(", ")}` };
  const rows = records.map((record) => {
    const cell = (name: string) => (record[columns.indexOf(name)] ?? "").trim();
    const income = cell("reportedMonthlyIncome");
    return {
      nik: cell("nik"),
      fullName: cell("fullName"),
      phone: cell("phone") || null,
      segment: cell("segment") as RegisterParticipantInput["segment"],
      occupation: cell("occupation"),
      ecosystem: cell("ecosystem") as RegisterParticipantInput["ecosystem"],
      villageCode: cell("villageCode"),
      // Not digits: left as text so the row fails with the usual whole-rupiah message.
      reportedMonthlyIncome: (/^[0-9]{1,19}$/.test(income) ? BigInt(income) : income) as bigint,
      programs: cell("programs")
        .split(";")
        .map((program) => program.trim())
        .filter(Boolean) as Program[],
    };
  });
  return { rows };
}
