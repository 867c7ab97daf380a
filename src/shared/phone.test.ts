import { describe, expect, it } from "vitest";
import { normalizeIndonesianPhone } from "./phone";

describe("Indonesian phone numbers", () => {
  it("normalises the usual spellings to E.164", () => {
    for (const spelling of ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "0812.3456.7890"]) {
      expect(normalizeIndonesianPhone(spelling)).toBe("+6281234567890");
    }
    expect(normalizeIndonesianPhone("(021) 555-1234")).toBe("+62215551234");
  });

  it("refuses numbers that are not Indonesian or have the wrong length", () => {
    for (const bad of ["+1 202 555 0100", "812345", "0812345678901234", "08123abc890", "00812345678", ""]) {
      expect(normalizeIndonesianPhone(bad)).toBeNull();
    }
  });
});
