import { describe, expect, it } from "vitest";
import { spreadsheetCsv } from "./spreadsheet-csv";

describe("spreadsheet CSV", () => {
  it("writes ;-separated rows with a BOM and CRLF, quoting what needs it and neutralising formulas", () => {
    expect(spreadsheetCsv([["a;b", 'say "hi"', "=SUM(A1)", -5, null]])).toBe(
      '\uFEFF"a;b";"say ""hi""";\'=SUM(A1);-5;\r\n',
    );
  });

  it("writes Indonesian numbers on request, and quotes a decimal comma in a comma-separated file", () => {
    expect(spreadsheetCsv([[1234567, 0.75]], { separator: ";", numbers: "id" })).toBe("\uFEFF1.234.567;0,75\r\n");
    expect(spreadsheetCsv([[1234567, 0.75]], { separator: ",", numbers: "id" })).toBe('\uFEFF1.234.567,"0,75"\r\n');
    expect(spreadsheetCsv([[1234567, 0.75]], { separator: ",", numbers: "plain" })).toBe("\uFEFF1234567,0.75\r\n");
  });
});
