import { describe, expect, it } from "vitest";
import { userErrorCodes } from "../errors";
import { en, requestErrorCodes } from "./en";
import { id } from "./id";
import { catalogues, languageFromHeader, msg, render, writtenRupiah } from "./index";

const placeholders = (template: string) => [...template.matchAll(/\{(\w+(?::\w+)?)\}/g)].map((m) => m[1]).sort();

describe("message catalogues", () => {
  const codes = [...Object.keys(userErrorCodes), ...requestErrorCodes];

  it.each(codes)("has a message for %s in Bahasa Indonesia and English", (code) => {
    for (const catalogue of Object.values(catalogues)) {
      expect(Object.hasOwn(catalogue, code), code).toBe(true);
      expect((catalogue as Record<string, string>)[code]?.trim()).not.toBe("");
    }
  });

  it("has the same keys in every language, each with the same parameters", () => {
    expect(Object.keys(id).sort()).toEqual(Object.keys(en).sort());
    for (const [key, template] of Object.entries(en)) {
      expect(placeholders(id[key as keyof typeof en]), key).toEqual(placeholders(template));
    }
  });

  it("has no Indonesian message left in English", () => {
    const untranslated = Object.entries(id).filter(([key, text]) => text === en[key as keyof typeof en]);
    expect(untranslated).toEqual([]);
  });

  it("puts parameters into the sentence", () => {
    const message = msg("CAPACITY_EXCEEDED.max", { max: 500 });
    expect(render(message, "id")).toBe("Program sponsor ini menanggung paling banyak 500 pekerja.");
    expect(render(message, "en")).toBe("The sponsorship covers at most 500 workers");
    expect(render(msg("INVALID_NIK.BIRTH_DATE"), "id")).toBe(
      "Tanggal lahir dalam NIK tidak valid. Periksa kembali 16 digit NIK Anda.",
    );
  });
});

describe("money in messages", () => {
  it("is written the English way in English and the Indonesian way in Indonesian", () => {
    const message = msg("BUDGET_EXCEEDED.batch", { workers: 3, months: 1, total: 50_400n, remaining: "1000000" });
    expect(render(message, "en")).toBe(
      "Paying 3 workers for 1 months costs Rp50,400; Rp1,000,000 of the budget remains",
    );
    expect(render(message, "id")).toBe(
      "Membayar 3 pekerja untuk 1 bulan butuh Rp50.400; sisa anggaran tinggal Rp1.000.000.",
    );
  });

  it.each([
    [0n, "Rp0", "Rp0"],
    [999n, "Rp999", "Rp999"],
    [1_000n, "Rp1,000", "Rp1.000"],
    [20_700_000n, "Rp20,700,000", "Rp20.700.000"],
    ["9007199254740993", "Rp9,007,199,254,740,993", "Rp9.007.199.254.740.993"],
    [-16_800n, "-Rp16,800", "-Rp16.800"],
  ] as const)("%s is %s in English and %s in Indonesian", (amount, english, indonesian) => {
    expect(writtenRupiah(amount, "en")).toBe(english);
    expect(writtenRupiah(amount, "id")).toBe(indonesian);
  });

  it("names every amount as one (no sentence writes Rp before a plain parameter)", () => {
    for (const catalogue of Object.values(catalogues)) {
      expect(Object.values(catalogue).filter((text) => /Rp\{/.test(text))).toEqual([]);
    }
  });
});

describe("Accept-Language", () => {
  it.each([
    [undefined, "id", "id"],
    ["", "en", "en"],
    ["en", "id", "en"],
    ["id", "en", "id"],
    ["id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", "en", "id"],
    ["en-US,en;q=0.9", "id", "en"],
    ["fr-FR, en;q=0.3, id;q=0.5", "en", "id"],
    ["fr, de", "id", "id"],
    ["fr, de", "en", "en"],
    ["*", "en", "en"],
    ["in-ID", "en", "id"],
    ["en;q=0, id", "en", "id"],
    ["en;q=abc", "id", "id"],
  ] as const)("%s with default %s reads %s", (header, fallback, expected) => {
    expect(languageFromHeader(header, fallback)).toBe(expected);
  });
});
