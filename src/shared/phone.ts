/**
 * Indonesian phone numbers to E.164 (+62…). Accepts the forms people write: `0812-3456-7890`,
 * `+62 812 3456 7890`, `62812…`, `(021) 555-1234`. Indonesian subscriber numbers after the
 * country code are 8 to 12 digits (ITU-T E.164 national plan for +62).
 */
export function normalizeIndonesianPhone(input: string): string | null {
  const compact = input.replace(/[\s().-]/g, "");
  const national = compact.startsWith("+62")
    ? compact.slice(3)
    : compact.startsWith("62")
      ? compact.slice(2)
      : compact.startsWith("0")
        ? compact.slice(1)
        : null;
  if (national === null || !/^[1-9][0-9]{7,11}$/.test(national)) return null;
  return `+62${national}`;
}
