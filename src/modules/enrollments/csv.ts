import { CsvError, parse } from "csv-parse/sync";
import { type Message, msg, render } from "../../shared/messages";
import type { Program } from "../contributions/tables";
import type { RegisterParticipantInput } from "../participants/validation";

/** The separators offices use: `,`, and `;` from Excel with Indonesian (and most European) settings. */
const DELIMITERS = [",", ";", "\t"] as const;

/**
 * The separator of a file, read from its header line (column names contain none of them): the one
 * that occurs most outside quotes. A one-column file has none and is read as comma-separated.
 */
export function detectDelimiter(text: string): (typeof DELIMITERS)[number] {
  const end = text.search(/\r?\n/);
  const header = (end === -1 ? text : text.slice(0, end)).replace(/"[^"]*"/g, "");
  let best: (typeof DELIMITERS)[number] = ",";
  let bestCount = 0;
  for (const delimiter of DELIMITERS) {
    const count = header.split(delimiter).length - 1;
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

export interface CsvRecord {
  /** The line of the file the record starts on (line 1 is the header). */
  line: number;
  cells: string[];
}

export class CsvProblem extends Error {
  constructor(
    /** What is wrong, put into words in the request's language when answered. */
    readonly problem: Message,
    /** The line of the file the problem was found on, when there is one. */
    readonly line: number | null,
  ) {
    super(render(problem, "en"));
  }
}

/**
 * Records of a CSV file with csv-parse: the separator detected, strict quotes (an unclosed or
 * stray quote is an error with its line, never rows silently merged into one cell), a byte-order
 * mark and CRLF or LF line ends accepted, blank lines skipped. Each record keeps its line number.
 */
export function parseCsv(text: string): CsvRecord[] {
  // The line the last complete record ended on: an unclosed quote opened after it.
  let lastLine = 0;
  try {
    const parsed = parse(text, {
      delimiter: detectDelimiter(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text),
      bom: true,
      // CRLF (Excel), LF, and both in one file (a CRLF file edited on Linux).
      record_delimiter: ["\r\n", "\n"],
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: false,
      on_record: (record, context) => {
        lastLine = context.lines;
        return record;
      },
    }) as unknown as { record: string[]; raw: string; info: { lines: number } }[];
    // `info.lines` is where a record ends; a quoted cell may span lines, so count back to its start.
    return parsed.map(({ record, raw, info }) => ({
      line: info.lines - (raw.replace(/^[\r\n]+|[\r\n]+$/g, "").match(/\n/g)?.length ?? 0),
      cells: record,
    }));
  } catch (error) {
    if (error instanceof CsvError) {
      const line =
        error.code === "CSV_QUOTE_NOT_CLOSED" ? lastLine + 1 : typeof error.lines === "number" ? error.lines : null;
      throw new CsvProblem(explain(error), line);
    }
    throw error;
  }
}

function explain(error: CsvError): Message {
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return msg("INVALID_CSV.quoteNotClosed");
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH":
      return msg("INVALID_CSV.cellCount");
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return msg("INVALID_CSV.quoteInCell");
    default:
      return msg("INVALID_CSV");
  }
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

export type EnrollmentCsv =
  | { rows: RegisterParticipantInput[]; lines: number[] }
  | { problem: Message; line: number | null };

/**
 * The rows of an enrollment CSV as registration inputs, with the file line of each. The header
 * names the columns (any order); `programs` lists programs separated by `;`, `,` or spaces
 * (`JKK;JKM`, or `"JKK;JKM"` quoted in a `;`-separated file); income is whole rupiah. Cells are
 * passed on as typed, so a bad cell becomes that row's error, not the file's.
 */
export function enrollmentRowsFromCsv(text: string): EnrollmentCsv {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvProblem) return { problem: error.problem, line: error.line };
    throw error;
  }
  const [header, ...body] = records;
  if (!header) return { problem: msg("INVALID_CSV.empty"), line: null };
  const columns = header.cells.map((name) => name.trim());
  const missing = required.filter((name) => !columns.includes(name));
  if (missing.length > 0)
    return { problem: msg("INVALID_CSV.missingColumns", { columns: missing.join(", ") }), line: header.line };
  const unknown = columns.filter((name) => !(enrollmentCsvColumns as readonly string[]).includes(name));
  if (unknown.length > 0)
    return { problem: msg("INVALID_CSV.unknownColumns", { columns: unknown.join(", ") }), line: header.line };
  const rows = body.map(({ cells }) => {
    const cell = (name: string) => (cells[columns.indexOf(name)] ?? "").trim();
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
        .split(/[;,\s]+/)
        .filter(Boolean) as Program[],
    };
  });
  return { rows, lines: body.map((record) => record.line) };
}
