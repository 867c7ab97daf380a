/**
 * Money is `Rupiah`: whole rupiah as a string of digits ("36800"), because amounts can pass 2^53.
 * Do arithmetic on `bigint`, never on `Number`, and format for people with Intl.
 */
const DIGITS = /^(0|[1-9][0-9]*)$/;

export function rupiahToBigInt(value: string): bigint {
  if (!DIGITS.test(value)) throw new RangeError(`Not a Rupiah amount: ${JSON.stringify(value)}`);
  return BigInt(value);
}

export function bigIntToRupiah(value: bigint): string {
  if (value < 0n) throw new RangeError("Rupiah amounts are never negative");
  return value.toString();
}

/** `Rp 36.800` in Indonesian (the default), `IDR 36,800` in English: whole rupiah, no decimals. */
export function formatRupiah(value: string | bigint, locale = "id-ID"): string {
  const amount = typeof value === "bigint" ? value : rupiahToBigInt(value);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: "IDR",
    minimumFractionDigits: 0,
    maximumFractionDigits: 0,
  }).format(amount);
}
