import { describe, expect, it } from "vitest";
import { contributionLines, monthlyProgramAmount, totalOf } from "./rules";

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
    expect(monthlyProgramAmount("PU", "JP", 20_000_000n, "LOW")).toBe(301_269n);
  });
});
