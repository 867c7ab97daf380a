/**
 * Regency codes retired by region splits, with the code each regency has now. A NIK is never
 * reissued when its region is re-coded, so a NIK keeps the old code for life: registration reads
 * it through this table (the district digits are kept by the re-coding). The worker's current
 * village is stored separately, with today's code.
 *
 * Sources: UU 14/2022 (Papua Selatan, 93), UU 15/2022 (Papua Tengah, 94), UU 16/2022 (Papua
 * Pegunungan, 95), UU 29/2022 (Papua Barat Daya, 96); codes per Kepmendagri 100.1.1-6117/2022,
 * matched by regency name against the current Kemendagri data (idn-area-data).
 */
export const formerRegencyCodes: Readonly<Record<string, string>> = {
  // Papua (91) → Papua Selatan (93)
  "91.01": "93.01", // Merauke
  "91.16": "93.02", // Boven Digoel
  "91.17": "93.03", // Mappi
  "91.18": "93.04", // Asmat
  // Papua (91) → Papua Tengah (94)
  "91.04": "94.01", // Nabire
  "91.07": "94.02", // Puncak Jaya
  "91.08": "94.03", // Paniai
  "91.09": "94.04", // Mimika
  "91.25": "94.05", // Puncak
  "91.26": "94.06", // Dogiyai
  "91.27": "94.07", // Intan Jaya
  "91.28": "94.08", // Deiyai
  // Papua (91) → Papua Pegunungan (95)
  "91.02": "95.01", // Jayawijaya
  "91.12": "95.02", // Pegunungan Bintang
  "91.13": "95.03", // Yahukimo
  "91.14": "95.04", // Tolikara
  "91.21": "95.05", // Mamberamo Tengah
  "91.22": "95.06", // Yalimo
  "91.23": "95.07", // Lanny Jaya
  "91.24": "95.08", // Nduga
  // Papua Barat (92) → Papua Barat Daya (96)
  "92.01": "96.01", // Sorong
  "92.04": "96.02", // Sorong Selatan
  "92.05": "96.03", // Raja Ampat
  "92.09": "96.04", // Tambrauw
  "92.10": "96.05", // Maybrat
  "92.71": "96.71", // Kota Sorong
};

/** Today's code of a district named by a NIK: the same code, or its re-coded successor after a split. */
export function currentDistrictCode(districtCode: string): string {
  const successor = formerRegencyCodes[districtCode.slice(0, 5)];
  return successor ? `${successor}${districtCode.slice(5)}` : districtCode;
}
