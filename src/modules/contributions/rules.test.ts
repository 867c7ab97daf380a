import { describe, expect, it } from "vitest";
import { render } from "../../shared/messages";
import {
  contributionLines,
  contributionParts,
  incomeProblem,
  jpWageCap,
  monthlyProgramAmount,
  paymentKind,
  programProblem,
  quoteContribution,
  totalOf,
} from "./rules";

describe("BPU contribution", () => {
  it("is Rp36,800 a month at the lowest income with JKK, JKM and JHT", () => {
    const lines = contributionLines("BPU", ["JKK", "JKM", "JHT"], 1_000_000n, "LOW", 1);
    expect(lines).toEqual([
      { program: "JKK", monthlyAmount: "10000", amount: "10000" },
      { program: "JKM", monthlyAmount: "6800", amount: "6800" },
      { program: "JHT", monthlyAmount: "20000", amount: "20000" },
    ]);
    expect(totalOf(lines ?? [])).toBe(36_800n);
  });

  it("is Rp16,800 with JKK and JKM only, times the months paid", () => {
    expect(totalOf(contributionLines("BPU", ["JKK", "JKM"], 1_000_000n, "HIGH", 1) ?? [])).toBe(16_800n);
    expect(totalOf(contributionLines("BPU", ["JKK", "JKM"], 1_000_000n, "HIGH", 12) ?? [])).toBe(201_600n);
  });

  it("charges JKK Rp207,000 at the highest reported income", () => {
    expect(monthlyProgramAmount("BPU", "JKK", 20_700_000n, "LOW")).toBe(207_000n);
  });

  it("has no BPU rate for JP or JKP", () => {
    expect(contributionLines("BPU", ["JKK", "JKM", "JP"], 1_000_000n, "LOW", 1)).toBeNull();
  });
});

describe("PU contribution", () => {
  it("prices JKK by risk and caps JP at the wage cap", () => {
    expect(monthlyProgramAmount("PU", "JKK", 5_000_000n, "LOW")).toBe(12_000n);
    expect(monthlyProgramAmount("PU", "JKK", 5_000_000n, "HIGH")).toBe(87_000n);
    expect(monthlyProgramAmount("PU", "JP", 20_000_000n, "LOW", "2024-06")).toBe(301_269n);
  });

  it("prices JKK in five risk groups", () => {
    const groups = ([1, 2, 3, 4, 5] as const).map((g) =>
      monthlyProgramAmount("PU", "JKK", 5_000_000n, "LOW", "2026-11", g),
    );
    expect(groups).toEqual([12_000n, 27_000n, 44_500n, 63_500n, 87_000n]);
  });

  it("prices JP with the wage cap in force each month covered", () => {
    expect(jpWageCap("2024-02")).toBe(9_559_600n);
    expect(jpWageCap("2024-03")).toBe(10_042_300n);
    expect(jpWageCap("2026-11")).toBe(10_547_400n);
    // February 2025 under the 2024 cap, March and April under 2025's.
    const [jp] = contributionLines("PU", ["JP"], 20_000_000n, "LOW", 3, 2025 * 12 + 1) ?? [];
    expect(jp).toEqual({ program: "JP", monthlyAmount: "301269", amount: String(301_269 + 2 * 316_422) });
  });
});

describe("segment policies", () => {
  it("requires JKK and JKM for BPU, allows JHT, and refuses JP and JKP", () => {
    expect(programProblem("BPU", ["JKK", "JKM"])).toBeNull();
    expect(programProblem("BPU", ["JKK", "JKM", "JHT"])).toBeNull();
    expect(programProblem("BPU", ["JKK"])).toMatchObject({ code: "PROGRAM_REQUIRED", program: "JKM" });
    expect(programProblem("BPU", ["JKK", "JKM", "JP"])).toMatchObject({ code: "PROGRAM_NOT_ALLOWED", program: "JP" });
    expect(programProblem("PU", ["JKK", "JKM", "JHT", "JP", "JKP"])).toBeNull();
    expect(programProblem("JAKON", ["JKK", "JKM", "JHT"])).toMatchObject({ code: "PROGRAM_NOT_ALLOWED" });
  });

  it("bounds BPU reported income to Rp1,000,000 - Rp20,700,000", () => {
    expect(incomeProblem("BPU", 1_000_000n)).toBeNull();
    expect(incomeProblem("BPU", 20_700_000n)).toBeNull();
    const low = incomeProblem("BPU", 999_999n);
    expect(low && render(low, "en")).toMatch(/between Rp1,000,000 and Rp20,700,000/);
    expect(low && render(low, "id")).toBe("Penghasilan per bulan untuk BPU harus antara Rp1.000.000 dan Rp20.700.000.");
    expect(incomeProblem("BPU", 20_700_001n)).not.toBeNull();
    expect(incomeProblem("PU", 0n)).toMatchObject({ key: "INCOME_OUT_OF_RANGE.atLeast" });
  });
});

describe("contribution quote", () => {
  it("prices BPU at Rp36,800 a month and Rp441,600 for twelve", () => {
    expect(
      quoteContribution({
        segment: "BPU",
        reportedMonthlyIncome: 1_000_000n,
        programs: ["JKK", "JKM", "JHT"],
        months: 12,
      }),
    ).toMatchObject({
      total: 441_600n,
    });
  });

  it("lists every reason a request cannot be priced", () => {
    expect(quoteContribution({ segment: "BPU", reportedMonthlyIncome: 1n, programs: ["JKK"], months: 2 })).toEqual({
      problems: [
        { field: "months", code: "INVALID_MONTHS", message: { key: "INVALID_MONTHS" } },
        {
          field: "programs",
          code: "PROGRAM_REQUIRED",
          message: { key: "PROGRAM_REQUIRED.segment", params: { segment: "BPU", program: "JKM" } },
        },
        {
          field: "reportedMonthlyIncome",
          code: "INCOME_OUT_OF_RANGE",
          message: expect.objectContaining({ key: "INCOME_OUT_OF_RANGE.between" }),
        },
      ],
    });
    expect(
      quoteContribution({ segment: "PMI", reportedMonthlyIncome: 5_000_000n, programs: ["JKK", "JKM"], months: 1 }),
    ).toMatchObject({
      problems: [{ code: "NOT_PRICED_MONTHLY" }],
    });
  });
});

describe("split payment", () => {
  it("calls a payment full with JKK and JKM, a part without both, and refuses to split them", () => {
    expect(paymentKind(["JKK", "JKM"])).toBe("FULL");
    expect(paymentKind(["JKK", "JKM", "JHT"])).toBe("FULL");
    expect(paymentKind(["JHT"])).toBe("PART");
    expect(paymentKind(["JP", "JKP"])).toBe("PART");
    expect(paymentKind(["JKK"])).toBeNull();
    expect(paymentKind(["JKM", "JHT"])).toBeNull();
    expect(paymentKind([])).toBeNull();
  });

  it("gives every line to exactly one payer, the parts adding up to the whole", () => {
    const lines = contributionLines("BPU", ["JKK", "JKM", "JHT"], 1_000_000n, "LOW", 3) ?? [];
    const parts = contributionParts(lines, ["JKK", "JKM"]);
    expect(parts.map((part) => [part.payer, part.lines.map((line) => line.program), part.total])).toEqual([
      ["SPONSOR", ["JKK", "JKM"], 50_400n],
      ["WORKER", ["JHT"], 60_000n],
    ]);
    expect(parts.reduce((sum, part) => sum + part.total, 0n)).toBe(totalOf(lines));
    expect(contributionParts(lines, []).map((part) => part.payer)).toEqual(["WORKER"]);
    expect(contributionParts(lines, ["JKK", "JKM", "JHT"]).map((part) => part.payer)).toEqual(["SPONSOR"]);
  });
});
