/**
 * KPJ numbers (Kartu Peserta Jamsostek): the number on a member's card, one per membership.
 *
 * Format: 11 digits = a 10-digit serial (zero-padded, from the PostgreSQL sequence `kpj_serial`, so
 * never reused, even after a rolled-back registration) followed by one check digit. The check digit
 * is Damm's (H. M. Damm, "Totally anti-symmetric quasigroups for all orders n ≠ 2, 6", Discrete
 * Mathematics 307, 2007): it catches every single-digit error and every transposition of two
 * adjacent digits, which Luhn's does not (09 ↔ 90). A typo is refused before any lookup.
 *
 * The database assigns each membership its number (`kpj_for(nextval('kpj_serial'))`, the SQL twin
 * in src/db/functions/kpj_for.sql); this module checks numbers callers type, and the property test
 * holds the two equal (test/rule-twins-property.test.ts).
 */

/** Damm's totally anti-symmetric quasigroup of order 10 (the table of the 2007 paper). */
export const DAMM_TABLE: readonly (readonly number[])[] = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

export const KPJ_SERIAL_DIGITS = 10;
export const MAX_KPJ_SERIAL = 10 ** KPJ_SERIAL_DIGITS - 1;

/**
 * Damm's check digit of a string of digits: the interim digit after running them through the
 * quasigroup. Run over a number with its check digit appended, it is 0 exactly when the number checks.
 */
export function dammCheckDigit(digits: string): number {
  let interim = 0;
  for (const digit of digits) interim = DAMM_TABLE[interim]?.[Number(digit)] ?? Number.NaN;
  return interim;
}

/** The KPJ number of a serial (1 … 9,999,999,999). */
export function kpjFor(serial: number): string {
  if (!Number.isSafeInteger(serial) || serial < 1 || serial > MAX_KPJ_SERIAL) {
    throw new RangeError(`a KPJ serial is 1 to ${MAX_KPJ_SERIAL}, not ${serial}`);
  }
  const body = String(serial).padStart(KPJ_SERIAL_DIGITS, "0");
  return `${body}${dammCheckDigit(body)}`;
}

export type KpjProblem = "KPJ_FORMAT" | "KPJ_CHECK_DIGIT";

/** A number as a caller typed it: spaces and dashes between groups are allowed, as cards print them. */
export function parseKpj(typed: string): { kpj: string } | { problem: KpjProblem } {
  const kpj = typed.replace(/[\s-]/g, "");
  if (!/^[0-9]{11}$/.test(kpj)) return { problem: "KPJ_FORMAT" };
  return dammCheckDigit(kpj) === 0 ? { kpj } : { problem: "KPJ_CHECK_DIGIT" };
}
