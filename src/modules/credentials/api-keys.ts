import type { Database } from "../../db/client";
import { sha256Hex } from "../../shared/digest";
import type { Scope } from "../access/rules";
import { insertApiKey } from "./store";

/**
 * Partner API keys look like `kp_<prefix>_<secret>`: the 12-character prefix finds the stored
 * row, the whole key is checked against its SHA-256 hash, so a database leak reveals no key.
 */
const KEY_FORMAT = /^kp_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function parseApiKey(key: string): { prefix: string } | null {
  const match = KEY_FORMAT.exec(key);
  return match?.[1] ? { prefix: match[1] } : null;
}

export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** A new random key and what to store for it. The key itself is shown once and never stored. */
export async function generateApiKey(): Promise<{ key: string; prefix: string; secretHash: string }> {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const prefix = [...crypto.getRandomValues(new Uint8Array(12))].map((b) => alphabet[b % alphabet.length]).join("");
  const key = `kp_${prefix}_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  return { key, prefix, secretHash: await hashApiKey(key) };
}

/**
 * Issues a key: generated, its hash stored with its scopes (and sponsor, for a sponsor's login).
 * Returns the key itself, to be shown once, and its prefix (safe to log). How other modules
 * create keys (sponsor sign-up).
 */
export async function issueApiKey(
  db: Database,
  grant: { name: string; scopes: Scope[]; sponsorId: number | null },
  now: Date,
): Promise<{ key: string; prefix: string }> {
  const generated = await generateApiKey();
  await insertApiKey(db, {
    ...grant,
    prefix: generated.prefix,
    secretHash: generated.secretHash,
    createdAt: now.toISOString(),
  });
  return { key: generated.key, prefix: generated.prefix };
}

/** A sponsor's login: a key acting as SPONSOR for that sponsor only, issued when it signs up. */
export function issueSponsorLogin(
  db: Database,
  sponsor: { id: number; name: string },
  now: Date,
): Promise<{ key: string; prefix: string }> {
  // No scopes: a sponsor acts for itself; any scope could only widen it (see scopesForRole).
  return issueApiKey(db, { name: `${sponsor.name} (sponsor login)`, scopes: [], sponsorId: sponsor.id }, now);
}
