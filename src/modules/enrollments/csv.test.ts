import { describe, expect, it } from "vitest";
import { enrollmentRowsFromCsv, parseCsv } from "./csv";

describe("CSV", () => {
  it("reads quoted fields, escaped quotes, CRLF and a byte-order mark", () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n1,\n')).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
      ["1", ""],
    ]);
  });

  it("turns rows into registration inputs, columns in any order", () => {
    const csv = [
      "programs,nik,fullName,segment,occupation,ecosystem,villageCode,reportedMonthlyIncome",
      "JKK;JKM,3171011708900001,Siti Rahayu,BPU,Nelayan,VILLAGE,32.73.01.1001,1000000",
      "JKK;JKM,3171011708900002,Budi,BPU,Nelayan,VILLAGE,32.73.01.1001,satu juta",
    ].join("\n");
    const result = enrollmentRowsFromCsv(csv);
    expect(result).toMatchObject({
      rows: [
        { nik: "3171011708900001", programs: ["JKK", "JKM"], reportedMonthlyIncome: 1_000_000n, phone: null },
        { reportedMonthlyIncome: "satu juta" },
      ],
    });
  });

  it("refuses a file without the required columns", () => {
    expect(enrollmentRowsFromCsv("nik,fullName\n1,2")).toEqual({
      problem: "Missing columns: segment, occupation, ecosystem, villageCode, reportedMonthlyIncome, programs",
    });
    expect(enrollmentRowsFromCsv("")).toEqual({ problem: "The file is empty" });
  });
});
