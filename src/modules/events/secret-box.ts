/**
 * Webhook signing secrets at rest. The API must keep each secret to sign with it (HMAC), so it
 * cannot store a hash: with `WEBHOOK_SECRET_KEY` set (32 random bytes, base64), a secret is stored
 * sealed with AES-256-GCM, and a copy of the database alone no longer lets anyone forge our
 * webhooks. Without the key (local development, tests) it is stored as it is, and a secret stored
 * before the key was set stays readable until its next rotation.
 */
const SEALED = "sealed:v1:";
const KEY_BYTES = 32;
const IV_BYTES = 12;

/** Whether a binding holds a usable key: base64 of exactly 32 bytes. */
export function isSecretKey(text: string): boolean {
  try {
    return bytesOf(text).length === KEY_BYTES;
  } catch {
    return false;
  }
}

export async function sealSecret(secret: string, key: string | undefined): Promise<string> {
  if (!key) return secret;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await aesKey(key),
    new TextEncoder().encode(secret),
  );
  const stored = new Uint8Array(IV_BYTES + sealed.byteLength);
  stored.set(iv);
  stored.set(new Uint8Array(sealed), IV_BYTES);
  return `${SEALED}${base64Of(stored)}`;
}

/** The secret to sign with; throws when it is sealed and the key is missing or another one. */
export async function openSecret(stored: string, key: string | undefined): Promise<string> {
  if (!stored.startsWith(SEALED)) return stored;
  if (!key) throw new Error("a webhook secret is sealed but WEBHOOK_SECRET_KEY is not set");
  const bytes = bytesOf(stored.slice(SEALED.length));
  const opened = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES) },
    await aesKey(key),
    bytes.slice(IV_BYTES),
  );
  return new TextDecoder().decode(opened);
}

function aesKey(key: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", bytesOf(key), "AES-GCM", false, ["encrypt", "decrypt"]);
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function base64Of(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}
