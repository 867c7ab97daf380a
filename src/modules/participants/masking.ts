/**
 * What a caller sees of a worker's identifying details, in JS (a resolver's answer) and in SQL
 * (the read planner's statement, the dashboard's lists): each rule beside its twin, held together
 * by test/rule-twins-property.test.ts on random input.
 */
import { eq, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { hasScope, type Viewer } from "../access/rules";

/**
 * Whether the caller reads a worker's identifying details (full NIK, phone, exact birth date):
 * `pii:read`, or the worker themself.
 */
export function mayReadPersonalData(viewer: Viewer, participant: { id: number }): boolean {
  if (hasScope(viewer, "pii:read")) return true;
  return viewer.kind === "user" && viewer.role === "PARTICIPANT" && viewer.participantId === participant.id;
}

/**
 * `3171015708900001` → `3171************`: the province and regency only, which the worker's
 * region shows anyway. The rest is district, birth date and serial; with the district and the
 * birth date known, the serial's 9,999 values would be all that is left to guess, so none of it
 * is shown (and the birth date is shown as a year only).
 */
export function maskNik(nik: string): string {
  return nik.length === 16 ? `${nik.slice(0, 4)}************` : "****************";
}

/**
 * `00000000013` → `*******0013`: the last four digits, as cards and receipts print an account number,
 * enough for a worker to recognise their own card and too few to look anyone up by. KPJ fields are
 * answered by the executor only, so this rule has no SQL twin (yet).
 */
export function maskKpj(kpj: string): string {
  return `${"*".repeat(Math.max(0, kpj.length - 4))}${kpj.slice(-4)}`;
}

/** `+6281234567890` → `+62812*****890`. */
export function maskPhone(phone: string): string {
  return phone.length <= 8
    ? "*".repeat(phone.length)
    : `${phone.slice(0, 6)}${"*".repeat(phone.length - 9)}${phone.slice(-3)}`;
}

/**
 * `mayReadPersonalData` as SQL over a participant row: `pii:read`, or the worker themself. With
 * `maskedNik`/`maskedPhone` it lets a statement write what the Participant type would answer.
 */
export function personalDataReadable(table: { id: AnyPgColumn }, viewer: Viewer): SQL {
  if (hasScope(viewer, "pii:read")) return sql`true`;
  if (viewer.kind === "user" && viewer.role === "PARTICIPANT" && viewer.participantId !== undefined) {
    return eq(table.id, viewer.participantId);
  }
  return sql`false`;
}

/** `maskNik` as SQL: the province and regency digits only. */
export function maskedNik(column: AnyPgColumn): SQL {
  return sql`case when length(${column}) = 16 then left(${column}, 4) || '************' else '****************' end`;
}

/** `maskPhone` as SQL: `+6281234567890` → `+62812*****890`. */
export function maskedPhone(column: AnyPgColumn): SQL {
  return sql`case when length(${column}) <= 8 then repeat('*', length(${column})) else left(${column}, 6) || repeat('*', length(${column}) - 9) || right(${column}, 3) end`;
}
