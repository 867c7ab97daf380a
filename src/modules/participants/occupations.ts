import type { RiskLevel } from "./tables";

/**
 * Occupations informal workers register with, and the work-accident risk of each, grouped as in
 * PP 44/2015 annex I (very low/low → LOW, medium → MEDIUM, high/very high → HIGH). Data, not
 * code: extend it as the agency's occupation list grows.
 */
export const occupations = [
  ["PETANI", "Petani", "MEDIUM"],
  ["NELAYAN", "Nelayan", "HIGH"],
  ["PETERNAK", "Peternak", "MEDIUM"],
  ["PEKEBUN", "Pekebun", "MEDIUM"],
  ["PERANGKAT_DESA", "Perangkat desa", "LOW"],
  ["GURU_HONORER", "Guru honorer", "LOW"],
  ["PEDAGANG_PASAR", "Pedagang pasar", "LOW"],
  ["PEDAGANG_KELILING", "Pedagang keliling", "MEDIUM"],
  ["PENJUAL_SAYUR", "Penjual sayur", "LOW"],
  ["KULI_ANGKUT", "Kuli angkut", "HIGH"],
  ["JURU_PARKIR", "Juru parkir", "MEDIUM"],
  ["PENGEMUDI_OJEK", "Pengemudi ojek daring", "HIGH"],
  ["KURIR", "Kurir", "HIGH"],
  ["PENJUAL_DARING", "Penjual daring", "LOW"],
  ["SOPIR", "Sopir", "HIGH"],
  ["PENJAHIT", "Penjahit", "LOW"],
  ["PENGRAJIN", "Pengrajin", "MEDIUM"],
  ["PEMILIK_WARUNG", "Pemilik warung", "LOW"],
  ["TUKANG_LAS", "Tukang las", "HIGH"],
  ["TUKANG_BANGUNAN", "Tukang bangunan", "HIGH"],
  ["MONTIR", "Montir", "MEDIUM"],
  ["ASISTEN_RUMAH_TANGGA", "Asisten rumah tangga", "MEDIUM"],
  ["PENGASUH", "Pengasuh anak", "LOW"],
  ["PEMULUNG", "Pemulung", "HIGH"],
  ["BURUH_HARIAN", "Buruh harian", "HIGH"],
  ["MARBOT", "Marbot / pengurus rumah ibadah", "LOW"],
  ["KARYAWAN", "Karyawan", "LOW"],
  ["PEKERJA_PABRIK", "Pekerja pabrik", "MEDIUM"],
  ["PEKERJA_TAMBANG", "Pekerja tambang", "HIGH"],
  ["PEKERJA_MIGRAN", "Pekerja migran", "MEDIUM"],
] as const satisfies readonly (readonly [string, string, RiskLevel])[];

export type Occupation = { code: string; name: string; riskLevel: RiskLevel };

const byKey = new Map<string, Occupation>();
for (const [code, name, riskLevel] of occupations) {
  const occupation = { code, name, riskLevel };
  byKey.set(code.toLowerCase(), occupation);
  byKey.set(name.toLowerCase(), occupation);
}

/** Finds an occupation by its code (`NELAYAN`) or name (`Nelayan`), case-insensitively. */
export function findOccupation(codeOrName: string): Occupation | undefined {
  return byKey.get(codeOrName.trim().toLowerCase());
}
