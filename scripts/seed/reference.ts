import { getDistricts, getProvinces, getRegencies, getVillages } from "idn-area-data";
import type { Database } from "../../src/db/client";
import { ecosystems, ecosystemTargets, nationalTargets, regions } from "../../src/db/tables";

type RegionRow = typeof regions.$inferInsert;

/** The full Kemendagri hierarchy shipped by idn-area-data: 38 provinces down to ~83.8k villages. */
export async function officialRegions(): Promise<RegionRow[]> {
  const [provinces, regencies, districts, villages] = await Promise.all([
    getProvinces(),
    getRegencies(),
    getDistricts(),
    getVillages(),
  ]);
  return [
    ...provinces.map((r) => ({ code: r.code, name: r.name, level: "PROVINCE" as const, parentCode: null })),
    ...regencies.map((r) => ({ code: r.code, name: r.name, level: "REGENCY" as const, parentCode: r.province_code })),
    ...districts.map((r) => ({ code: r.code, name: r.name, level: "DISTRICT" as const, parentCode: r.regency_code })),
    ...villages.map((r) => ({ code: r.code, name: r.name, level: "VILLAGE" as const, parentCode: r.district_code })),
  ];
}

export const ecosystemRows = [
  {
    code: "VILLAGE",
    name: "Desa",
    description: "Village workers: farmers, fishers, village officials and their neighbours.",
  },
  { code: "MARKET", name: "Pasar", description: "Traditional market traders, porters and stall workers." },
  {
    code: "ECOMMERCE",
    name: "E-commerce",
    description: "Online sellers, couriers and ride-hailing partners on digital platforms.",
  },
  { code: "UMKM", name: "UMKM", description: "Micro, small and medium enterprises and their workers." },
  {
    code: "VULNERABLE_WORKERS",
    name: "Pekerja Rentan",
    description: "Vulnerable workers whose contributions are often paid by sponsors (Sertakan).",
  },
] as const satisfies (typeof ecosystems.$inferInsert)[];

/**
 * Planning figures for the growth ecosystems (active participants at year end), editable data:
 * the agency publishes the national goal (53.9 M in 2024, 70 M by 2026), not this split.
 */
export const ecosystemTargetRows: (typeof ecosystemTargets.$inferInsert)[] = (
  [
    ["VILLAGE", [6_000_000, 7_200_000, 8_600_000]],
    ["MARKET", [3_000_000, 3_600_000, 4_300_000]],
    ["ECOMMERCE", [2_500_000, 3_100_000, 3_900_000]],
    ["UMKM", [4_500_000, 5_400_000, 6_500_000]],
    ["VULNERABLE_WORKERS", [4_000_000, 4_900_000, 6_000_000]],
  ] as const
).flatMap(([ecosystemCode, targets]) =>
  targets.map((activeTarget, i) => ({
    ecosystemCode,
    year: 2024 + i,
    activeTarget,
    source: "Planning split of the national target (this API's reference data; the agency publishes no split)",
  })),
);

/**
 * The national active-participant targets as the agency stated them (check before relying on a
 * figure: DESIGN, the domain): 53.9 M for 2024, about 57.5 M for 2025, 70 M by 2026 (the long-term
 * plan 2021-2026). Set others with setCoverageTarget.
 */
export const nationalTargetRows: (typeof nationalTargets.$inferInsert)[] = [
  { year: 2024, activeTarget: 53_900_000, source: "BPJS Ketenagakerjaan, 2024 public statements: 53.9 M active" },
  { year: 2025, activeTarget: 57_500_000, source: "BPJS Ketenagakerjaan, 2025 target as publicly reported (~57.5 M)" },
  {
    year: 2026,
    activeTarget: 70_000_000,
    source: "BPJS Ketenagakerjaan long-term plan 2021-2026: 70 M workers by 2026",
  },
];

async function insertInBatches<T>(rows: T[], size: number, insert: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

/** Reference data every database needs: regions, ecosystems and their targets. Idempotent. */
export async function seedReferenceData(db: Database): Promise<{ regions: number }> {
  await db.insert(ecosystems).values(ecosystemRows).onConflictDoNothing();
  await db.insert(ecosystemTargets).values(ecosystemTargetRows).onConflictDoNothing();
  await db.insert(nationalTargets).values(nationalTargetRows).onConflictDoNothing();
  const existing = await db.$count(regions);
  const rows = await officialRegions();
  if (existing < rows.length) {
    await insertInBatches(rows, 5_000, (batch) => db.insert(regions).values(batch).onConflictDoNothing());
  }
  return { regions: rows.length };
}
