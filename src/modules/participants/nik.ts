import { type Message, msg } from "../../shared/messages";

/**
 * NIK (Nomor Induk Kependudukan), per Permendagri 73/2022 and UU 24/2013 art. 13: 16 digits =
 * province (2) regency (2) district (2) of registration, birth date DDMMYY with 40 added to the
 * day for women, and a 4-digit serial from 0001.
 */
export interface ParsedNik {
  /** Kemendagri district code of registration, e.g. `31.71.01`. */
  districtCode: string;
  birthDate: string;
  sex: "MALE" | "FEMALE";
  serial: string;
}

export type NikProblem = "FORMAT" | "BIRTH_DATE" | "SERIAL";

export const nikProblemMessages: Record<NikProblem, Message> = {
  FORMAT: msg("INVALID_NIK.FORMAT"),
  BIRTH_DATE: msg("INVALID_NIK.BIRTH_DATE"),
  SERIAL: msg("INVALID_NIK.SERIAL"),
};

export function parseNik(nik: string, today: Date): ParsedNik | { problem: NikProblem } {
  if (!/^[0-9]{16}$/.test(nik)) return { problem: "FORMAT" };
  const rawDay = Number(nik.slice(6, 8));
  const month = Number(nik.slice(8, 10));
  const yy = Number(nik.slice(10, 12));
  const female = rawDay > 40;
  const day = female ? rawDay - 40 : rawDay;
  // Two-digit years: the most recent year that is not in the future.
  const thisYear = today.getUTCFullYear();
  const year = 2000 + yy <= thisYear ? 2000 + yy : 1900 + yy;
  const birthDate = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  const date = new Date(`${birthDate}T00:00:00Z`);
  if (
    day < 1 ||
    month < 1 ||
    month > 12 ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10) !== birthDate ||
    date.getTime() > today.getTime() ||
    // Nobody alive was born over a century ago: such a date is a misread, not a worker.
    thisYear - year > 100
  ) {
    return { problem: "BIRTH_DATE" };
  }
  if (nik.slice(12) === "0000") return { problem: "SERIAL" };
  return {
    districtCode: `${nik.slice(0, 2)}.${nik.slice(2, 4)}.${nik.slice(4, 6)}`,
    birthDate,
    sex: female ? "FEMALE" : "MALE",
    serial: nik.slice(12),
  };
}
