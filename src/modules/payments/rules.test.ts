import { describe, expect, it } from "vitest";
import { coverageFor, partMonths, refundAmount, transition, unusedMonths } from "./rules";

const now = new Date("2026-11-15T03:00:00Z");

describe("coverage of a settled payment", () => {
  it("starts with the current month for a first payment", () => {
    expect(coverageFor(null, 3, now)).toEqual({
      from: "2026-11-01",
      through: "2027-01-01",
      months: ["2026-11-01", "2026-12-01", "2027-01-01"],
    });
  });

  it("pays arrears first, oldest month first, for a participant in grace", () => {
    expect(coverageFor("2026-09-01", 1, now).from).toBe("2026-10-01");
    expect(coverageFor("2026-09-01", 3, now).through).toBe("2026-12-01");
  });

  it("extends forward when paid ahead", () => {
    expect(coverageFor("2027-02-01", 12, now)).toMatchObject({ from: "2027-03-01", through: "2028-02-01" });
  });

  it("resumes an inactive participant from the current month without back payments", () => {
    expect(coverageFor("2026-08-01", 1, now)).toMatchObject({ from: "2026-11-01", through: "2026-11-01" });
  });
});

describe("refunds", () => {
  it("return only months after the current one, at the monthly amounts paid", () => {
    expect(unusedMonths(["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"], now)).toEqual([
      "2026-12-01",
      "2027-01-01",
    ]);
    const lines = [
      { program: "JKK" as const, monthlyAmount: "10000", amount: "30000" },
      { program: "JKM" as const, monthlyAmount: "6800", amount: "20400" },
    ];
    expect(refundAmount(lines, 2)).toBe(33_600n);
  });
});

describe("payment status transitions", () => {
  it("allows settle or fail from pending, refund from settled, and treats repeats as done", () => {
    expect(transition("PENDING", "SETTLED")).toBe("APPLY");
    expect(transition("PENDING", "FAILED")).toBe("APPLY");
    expect(transition("SETTLED", "REFUNDED")).toBe("APPLY");
    expect(transition("SETTLED", "SETTLED")).toBe("ALREADY_APPLIED");
    expect(transition("FAILED", "SETTLED")).toBe("INVALID");
    expect(transition("PENDING", "REFUNDED")).toBe("INVALID");
    expect(transition("REFUNDED", "SETTLED")).toBe("INVALID");
  });
});

describe("the months a part tops up", () => {
  const covered = ["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"];

  it("takes the first months from the current one whose JKK and JKM are paid and the part's programs are not", () => {
    expect(partMonths(covered, new Set(), 2, now)).toEqual(["2026-11-01", "2026-12-01"]);
    expect(partMonths(covered, new Set(["2026-11-01"]), 2, now)).toEqual(["2026-12-01", "2027-01-01"]);
  });

  it("never reaches back before the current month, nor past the last month JKK and JKM are paid", () => {
    expect(partMonths(covered, new Set(), 12, now)).toEqual(["2026-11-01", "2026-12-01", "2027-01-01"]);
    expect(partMonths(["2026-10-01"], new Set(), 1, now)).toEqual([]);
  });
});
