import { describe, expect, it } from "vitest";
import { currentDistrictCode, formerRegencyCodes } from "./former-codes";

describe("former regency codes", () => {
  it("read a NIK's pre-split district as today's", () => {
    expect(currentDistrictCode("91.02.01")).toBe("95.01.01");
    expect(currentDistrictCode("92.01.05")).toBe("96.01.05");
    expect(currentDistrictCode("31.71.01")).toBe("31.71.01");
  });

  it("map each retired code to a code of the new provinces, once", () => {
    const successors = Object.values(formerRegencyCodes);
    expect(new Set(successors).size).toBe(successors.length);
    expect(successors.every((code) => ["93", "94", "95", "96"].includes(code.slice(0, 2)))).toBe(true);
  });
});
