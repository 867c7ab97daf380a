import { describe, expect, it } from "vitest";
import { render } from "../../shared/messages";
import { CsvProblem, detectDelimiter, enrollmentRowsFromCsv, parseCsv } from "./csv";

const header = "nik,fullName,segment,occupation,ecosystem,villageCode,reportedMonthlyIncome,programs";

describe("CSV", () => {
  it("reads quoted fields, escaped quotes, CRLF and a byte-order mark", () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n1,\n').map((r) => r.cells)).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
      ["1", ""],
    ]);
  });

  it("detects the separator from the header: `;` as Excel writes it with Indonesian settings, tabs, commas", () => {
    expect(detectDelimiter("nik;fullName;programs\r\n1;Siti, R.;JKK")).toBe(";");
    expect(detectDelimiter("nik\tfullName\n1\tSiti")).toBe("\t");
    expect(detectDelimiter(header)).toBe(",");
    expect(detectDelimiter('"nik;x",fullName\n')).toBe(",");
    expect(parseCsv('\ufeffa;b\r\n1,5;"x;y"\r\n').map((r) => r.cells)).toEqual([
      ["a", "b"],
      ["1,5", "x;y"],
    ]);
  });

  it("numbers records by the file's lines: blank lines skipped, a quoted cell spanning lines", () => {
    expect(parseCsv('a,b\r\n\r\n"line one\nline two",2\r\n3,4\r\n').map((r) => r.line)).toEqual([1, 3, 5]);
  });

  it("refuses an unclosed quote with the line it opened on, instead of merging the following rows", () => {
    const problem = (() => {
      try {
        parseCsv('a,b\n1,2\n"Budi,2\n3,4\n5,6\n');
      } catch (error) {
        return error;
      }
    })();
    expect(problem).toBeInstanceOf(CsvProblem);
    expect(problem).toMatchObject({ line: 3, message: expect.stringMatching(/never closed/) });
  });

  it("refuses a row with more or fewer cells than the header, and a stray quote, with their lines", () => {
    expect(() => parseCsv("a,b\n1,2\n3,4,5\n")).toThrow(expect.objectContaining({ line: 3 }));
    expect(() => parseCsv('a,b\n1,"2"x\n')).toThrow(expect.objectContaining({ line: 2 }));
  });

  it("turns rows into registration inputs, columns in any order, with each row's line", () => {
    const csv = [
      "programs,nik,fullName,segment,occupation,ecosystem,villageCode,reportedMonthlyIncome",
      "JKK;JKM,3171011708900001,Siti Rahayu,BPU,Nelayan,VILLAGE,32.73.01.1001,1000000",
      "",
      "JKK;JKM,3171011708900002,Budi,BPU,Nelayan,VILLAGE,32.73.01.1001,satu juta",
    ].join("\n");
    const result = enrollmentRowsFromCsv(csv);
    expect(result).toMatchObject({
      rows: [
        { nik: "3171011708900001", programs: ["JKK", "JKM"], reportedMonthlyIncome: 1_000_000n, phone: null },
        { reportedMonthlyIncome: "satu juta" },
      ],
      lines: [2, 4],
    });
  });

  it("reads a `;`-separated file whose programs are quoted or comma-separated", () => {
    const csv = `\ufeff${header.replaceAll(",", ";")}\r\n3171011708900001;Siti Rahayu;BPU;Nelayan;VILLAGE;32.73.01.1001;1000000;"JKK;JKM"\r\n3171011708900002;Budi;BPU;Nelayan;VILLAGE;32.73.01.1001;1000000;JKK,JKM,JHT\r\n`;
    expect(enrollmentRowsFromCsv(csv)).toMatchObject({
      rows: [{ programs: ["JKK", "JKM"] }, { programs: ["JKK", "JKM", "JHT"] }],
      lines: [2, 3],
    });
  });

  it("refuses a file without the required columns, or unreadable, saying where", () => {
    const missing = enrollmentRowsFromCsv("nik,fullName\n1,2");
    expect("problem" in missing && { line: missing.line, text: render(missing.problem, "en") }).toEqual({
      text: "Missing columns: segment, occupation, ecosystem, villageCode, reportedMonthlyIncome, programs",
      line: 1,
    });
    expect(enrollmentRowsFromCsv("")).toEqual({ problem: { key: "INVALID_CSV.empty" }, line: null });
    expect(enrollmentRowsFromCsv(`${header}\n"3171011708900001,Siti\n`)).toMatchObject({ line: 2 });
  });
});
