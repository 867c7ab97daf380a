import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dammCheckDigit, kpjFor, MAX_KPJ_SERIAL, parseKpj } from "./kpj";

const serial = fc.integer({ min: 1, max: MAX_KPJ_SERIAL });

describe("KPJ numbers", () => {
  it("are 11 digits: the zero-padded serial, then Damm's check digit", () => {
    // Damm's worked example: 572 has check digit 4.
    expect(dammCheckDigit("572")).toBe(4);
    expect(kpjFor(1)).toBe("00000000013");
    expect(kpjFor(572)).toMatch(/^0000000572[0-9]$/);
    expect(kpjFor(MAX_KPJ_SERIAL)).toHaveLength(11);
  });

  it("refuses serials outside 1 … 9,999,999,999", () => {
    for (const bad of [0, -1, MAX_KPJ_SERIAL + 1, 1.5]) expect(() => kpjFor(bad)).toThrow(RangeError);
  });

  it("reads back every number it makes, with the spaces and dashes cards print", () => {
    fc.assert(
      fc.property(serial, (n) => {
        const kpj = kpjFor(n);
        expect(parseKpj(kpj)).toEqual({ kpj });
        expect(parseKpj(`${kpj.slice(0, 2)} ${kpj.slice(2, 5)}-${kpj.slice(5)}`)).toEqual({ kpj });
      }),
    );
  });

  it("catches every single-digit error", () => {
    fc.assert(
      fc.property(serial, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 9 }), (n, at, shift) => {
        const kpj = kpjFor(n);
        const wrong = (Number(kpj[at]) + shift) % 10;
        const typo = `${kpj.slice(0, at)}${wrong}${kpj.slice(at + 1)}`;
        expect(parseKpj(typo)).toEqual({ problem: "KPJ_CHECK_DIGIT" });
      }),
    );
  });

  it("catches every transposition of two adjacent different digits (09 and 90 included)", () => {
    fc.assert(
      fc.property(serial, fc.integer({ min: 0, max: 9 }), (n, at) => {
        const kpj = kpjFor(n);
        fc.pre(kpj[at] !== kpj[at + 1]);
        const swapped = `${kpj.slice(0, at)}${kpj[at + 1]}${kpj[at]}${kpj.slice(at + 2)}`;
        expect(parseKpj(swapped)).toEqual({ problem: "KPJ_CHECK_DIGIT" });
      }),
    );
    // Luhn's blind spot, spelled out.
    expect(parseKpj(`0000000090${dammCheckDigit("0000000090")}`)).toHaveProperty("kpj");
    expect(parseKpj(`0000000009${dammCheckDigit("0000000090")}`)).toEqual({ problem: "KPJ_CHECK_DIGIT" });
  });

  it("refuses what is not eleven digits before checking anything", () => {
    for (const bad of ["", "1234567890", "123456789012", "1234567890a", "12345.67890"]) {
      expect(parseKpj(bad)).toEqual({ problem: "KPJ_FORMAT" });
    }
  });
});
