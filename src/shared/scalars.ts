import { builder } from "../builder";
import { badUserInput } from "./errors";
import { type Message, msg } from "./messages";

const DIGITS = /^(0|[1-9][0-9]{0,18})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const MAX_RUPIAH = 9_223_372_036_854_775_807n;

/**
 * How the read planner (src/read-plan) writes a scalar in SQL, byte for byte as its `serialize`
 * writes it: given an SQL expression of the stored value, an expression of the wire text. Kept on
 * the scalar (its `extensions`) so the two are one definition; test/scalar-sql-formats.test.ts
 * holds them together on random values.
 */
export interface SqlFormat {
  sqlFormat: (expression: string) => string;
}

/** The SQL format a scalar type declares, or undefined (the value is written as stored). */
export function sqlFormatOf(type: {
  extensions: Readonly<Record<string, unknown>>;
}): SqlFormat["sqlFormat"] | undefined {
  const format = (type.extensions as Partial<SqlFormat>).sqlFormat;
  return typeof format === "function" ? format : undefined;
}

function invalid(message: Message): never {
  throw badUserInput(message);
}

/** Whole rupiah as a string of digits: money never passes through a float. */
export function parseRupiah(value: unknown): bigint {
  if (typeof value !== "string" || !DIGITS.test(value)) {
    invalid(msg("BAD_USER_INPUT.rupiah"));
  }
  const amount = BigInt(value);
  if (amount > MAX_RUPIAH) invalid(msg("BAD_USER_INPUT.rupiahTooLarge"));
  return amount;
}

export function isRealDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

builder.scalarType("Rupiah", {
  description:
    'An amount of Indonesian rupiah (IDR): whole rupiah, never fractions, as a JSON string of decimal digits with no sign, separators or leading zeros, e.g. "36800" (Rp36.800). A string because amounts may exceed 2^53; read it with BigInt.',
  specifiedByURL: "https://www.iso.org/iso-4217-currency-codes.html",
  serialize: (value) => {
    const text = typeof value === "bigint" ? value.toString() : String(value);
    if (!DIGITS.test(text)) throw new Error(`Not a whole rupiah amount: ${text}`);
    return text;
  },
  parseValue: parseRupiah,
  // The digits of a bigint (or of a stored JSON line's text).
  extensions: { sqlFormat: (amount) => `${amount}::text` } satisfies SqlFormat,
  parseLiteral: (ast) => parseRupiah(ast.kind === "StringValue" ? ast.value : undefined),
});

function parseDate(value: unknown): string {
  if (typeof value !== "string" || !isRealDate(value)) invalid(msg("BAD_USER_INPUT.date"));
  return value;
}

builder.scalarType("Date", {
  description:
    'A calendar date as a JSON string, `YYYY-MM-DD` (RFC 3339 full-date), e.g. "2026-11-25"; dates are WIB calendar days.',
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
  serialize: (value) => String(value).slice(0, 10),
  parseValue: parseDate,
  extensions: { sqlFormat: (day) => `to_char(${day}, 'YYYY-MM-DD')` } satisfies SqlFormat,
  parseLiteral: (ast) => parseDate(ast.kind === "StringValue" ? ast.value : undefined),
});

function parseDateTime(value: unknown): string {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    invalid(msg("BAD_USER_INPUT.dateTime"));
  }
  return new Date(value).toISOString();
}

/**
 * PostgreSQL writes timestamptz as `2026-11-15 03:00:00.123456+00`; JavaScript dates need a `T`
 * and a `+00:00` offset. Microseconds beyond milliseconds are dropped in the output.
 */
export function isoInstant(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value)
    .replace(" ", "T")
    .replace(/([+-]\d{2})$/, "$1:00");
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) throw new Error(`Not an instant: ${String(value)}`);
  return instant.toISOString();
}

builder.scalarType("DateTime", {
  description:
    "An instant as a JSON string, RFC 3339 date-time: answered in UTC with milliseconds (`2026-11-25T08:00:00.000Z`); accepted with any offset.",
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
  serialize: isoInstant,
  parseValue: parseDateTime,
  // UTC with milliseconds: microseconds cut, as JavaScript's Date does.
  extensions: {
    sqlFormat: (instant) =>
      `to_char(date_trunc('milliseconds', ${instant}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  } satisfies SqlFormat,
  parseLiteral: (ast) => parseDateTime(ast.kind === "StringValue" ? ast.value : undefined),
});

/** `YYYY-MM`, the wire format of the Month scalar (also in REST query strings). */
export function isMonth(value: string): boolean {
  return ISO_MONTH.test(value);
}

function parseMonth(value: unknown): string {
  if (typeof value !== "string" || !isMonth(value)) invalid(msg("BAD_USER_INPUT.month"));
  return `${value}-01`;
}

builder.scalarType("Month", {
  description:
    'A calendar month as a JSON string, ISO 8601 `YYYY-MM`, e.g. "2026-11" (coverage is counted in whole WIB months).',
  specifiedByURL: "https://www.iso.org/iso-8601-date-and-time-format.html",
  serialize: (value) => String(value).slice(0, 7),
  parseValue: parseMonth,
  // A month is stored as its first day.
  extensions: { sqlFormat: (day) => `to_char(${day}, 'YYYY-MM')` } satisfies SqlFormat,
  parseLiteral: (ast) => parseMonth(ast.kind === "StringValue" ? ast.value : undefined),
});

/** `BRIVA`, `MANDIRI_VA`, `JMO`: the shape every channel code has (the zod inputs check the same). */
const CHANNEL_CODE = /^[A-Z0-9_]{2,40}$/;

function channelScalar(name: "PaymentChannel" | "RegistrationChannel", description: string, invalidMessage: Message) {
  const parse = (value: unknown): string => {
    if (typeof value !== "string" || !CHANNEL_CODE.test(value)) invalid(invalidMessage);
    return value;
  };
  builder.scalarType(name, {
    description,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast) => parse(ast.kind === "StringValue" ? ast.value : undefined),
  });
}

channelScalar(
  "PaymentChannel",
  "A payment channel's code as a JSON string: 2-40 capital letters, digits or _, e.g. `BRIVA`, `MANDIRI_VA`, `GOPAY`; `SPONSOR_BUDGET` for a sponsor's transfer recorded by the agency. Which channels may notify settlements is configured per deployment (PAYMENT_CHANNEL_SECRETS).",
  msg("INVALID_INPUT.paymentChannel"),
);
channelScalar(
  "RegistrationChannel",
  "Where a registration came from, as a JSON string: 2-40 capital letters, digits or _. Set by the API from the caller when not given: `JMO` (a participant in the JMO app), `PARTNER` (an API key), `SERTAKAN` (a sponsor), `OFFICE` (an officer or ADMIN).",
  msg("INVALID_INPUT.registrationChannel"),
);
