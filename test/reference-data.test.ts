import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, startTestApi, type TestApi } from "./testkit/api";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

type Region = { code: string; name: string; level: string; parent: { code: string } | null };

describe("regions", () => {
  it("lists the 38 provinces at the top of the official hierarchy", async () => {
    const { regions } = dataOf(
      await api.graphql<{ regions: Region[] }>(`{ regions { code name level parent { code } } }`),
    );
    expect(regions).toHaveLength(38);
    expect(regions[0]).toEqual({ code: "11", name: "Aceh", level: "PROVINCE", parent: null });
    expect(regions.find((r) => r.code === "31")?.name).toBe("Daerah Khusus Ibukota Jakarta");
  });

  it("walks down from a province to its villages", async () => {
    const regencies = dataOf(
      await api.graphql<{ regions: Region[] }>(`{ regions(parentCode: "31") { code name level } }`),
    );
    expect(regencies.regions.map((r) => r.code)).toContain("31.71");
    expect(regencies.regions.every((r) => r.level === "REGENCY")).toBe(true);
    const villages = dataOf(
      await api.graphql<{ regions: Region[] }>(`{ regions(parentCode: "31.71.01") { code level parent { code } } }`),
    );
    expect(villages.regions.length).toBeGreaterThan(0);
    expect(villages.regions.every((r) => r.level === "VILLAGE" && r.parent?.code === "31.71.01")).toBe(true);
  });

  it("looks one region up by code, null when there is none", async () => {
    const found = dataOf(await api.graphql<{ region: Region | null }>(`{ region(code: "31.71") { code name level } }`));
    expect(found.region).toMatchObject({ code: "31.71", level: "REGENCY" });
    const missing = dataOf(await api.graphql<{ region: Region | null }>(`{ region(code: "99") { code } }`));
    expect(missing.region).toBeNull();
  });

  it("refuses a code that is not a Kemendagri code", async () => {
    const response = await api.graphql(`{ regions(parentCode: "31.7'; drop table regions;--") { code } }`);
    expect(response.errors?.[0]?.message).toMatch(/Kemendagri/);
    const still = dataOf(await api.graphql<{ regions: Region[] }>(`{ regions { code } }`));
    expect(still.regions).toHaveLength(38);
  });
});

describe("ecosystems", () => {
  it("lists the five ecosystems with their yearly targets", async () => {
    const { ecosystems } = dataOf(
      await api.graphql<{ ecosystems: { code: string; targets: { year: number; activeTarget: number }[] }[] }>(
        `{ ecosystems { code name targets { year activeTarget } } }`,
      ),
    );
    expect(ecosystems.map((e) => e.code)).toEqual(["VILLAGE", "MARKET", "ECOMMERCE", "UMKM", "VULNERABLE_WORKERS"]);
    expect(ecosystems[0]?.targets.map((t) => t.year)).toEqual([2024, 2025, 2026]);
  });

  it("answers one ecosystem by code", async () => {
    const data = dataOf(await api.graphql<{ ecosystem: { name: string } }>(`{ ecosystem(code: UMKM) { name } }`));
    expect(data.ecosystem.name).toBe("UMKM");
    const bad = await api.graphql(`{ ecosystem(code: FARM) { name } }`);
    expect(bad.errors?.[0]?.message).toMatch(/EcosystemCode/);
  });
});
