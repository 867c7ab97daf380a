import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { z } from "zod";
import type { Database } from "../../db/client";
import { sameDigest } from "../../shared/digest";
import { AccessDenied } from "../../shared/errors";
import { type Message, msg, render } from "../../shared/messages";
import { type Role, roles, scopesForRole, type Viewer } from "../access/rules";
import { REGION_CODE } from "../regions/codes";
import { hashApiKey, parseApiKey } from "./api-keys";
import { findApiKeyByPrefix } from "./store";

export interface AuthConfig {
  /** HS256 shared secret (local development, tests, simple deployments). */
  jwtSecret?: string;
  /** JWKS of the identity provider in production (RS256/ES256). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/** A credential was presented and is not acceptable: answered as UNAUTHENTICATED (401). */
function unauthenticated(message: Message): AccessDenied {
  return new AccessDenied("UNAUTHENTICATED", render(message));
}

/** Subjects of API keys; a token may not claim one, or it would act as that key. */
export const API_KEY_SUBJECT_PREFIX = "api-key:";

const claimsSchema = z.object({
  sub: z
    .string()
    .min(1)
    .max(128)
    .refine((sub) => !sub.startsWith(API_KEY_SUBJECT_PREFIX), "token subjects may not name an API key"),
  role: z.enum(roles),
  scopes: z.array(z.string()).max(50).optional(),
  region: z.string().regex(REGION_CODE).optional(),
  sponsorId: z.number().int().positive().optional(),
  participantId: z.number().int().positive().optional(),
  /** RFC 9068: the OAuth client the token was issued to (`jmo` for the JMO app). */
  client_id: z.string().min(1).max(64).optional(),
});

const jwksByUrl = new Map<string, JWTVerifyGetKey>();
/** Imported once per isolate: importing the secret on every request was most of a verification's cost. */
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * Tokens verified in this isolate, so a client's next requests skip the signature check and claim
 * parsing (about a seventh of a read's CPU, bench/PROFILE.md). An entry serves only the settings it
 * was verified under, never past the token's own `exp`, and at most VERIFIED_TOKEN_TTL_MS after
 * its verification, so a key withdrawn from the identity provider's JWKS stops being honoured
 * within that time. Least recently used entries leave first.
 */
const verifiedTokens = new Map<string, { viewer: Viewer; config: AuthConfig; validUntil: number }>();
const VERIFIED_TOKENS_KEPT = 2_000;
const VERIFIED_TOKEN_TTL_MS = 5 * 60_000;

async function verifyTokenOnce(token: string, config: AuthConfig): Promise<Viewer> {
  const now = Date.now();
  const known = verifiedTokens.get(token);
  if (known) {
    verifiedTokens.delete(token);
    if (known.config === config && now < known.validUntil) {
      verifiedTokens.set(token, known);
      return known.viewer;
    }
  }
  const { viewer, expiresAt } = await verifyToken(token, config);
  if (verifiedTokens.size >= VERIFIED_TOKENS_KEPT) {
    const oldest = verifiedTokens.keys().next().value;
    if (oldest !== undefined) verifiedTokens.delete(oldest);
  }
  verifiedTokens.set(token, {
    viewer,
    config,
    validUntil: Math.min(expiresAt ?? Infinity, now + VERIFIED_TOKEN_TTL_MS),
  });
  return viewer;
}

async function verifyToken(token: string, config: AuthConfig): Promise<{ viewer: Viewer; expiresAt: number | null }> {
  const options = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  let payload: unknown;
  try {
    if (config.jwksUrl) {
      let jwks = jwksByUrl.get(config.jwksUrl);
      if (!jwks) {
        jwks = createRemoteJWKSet(new URL(config.jwksUrl));
        jwksByUrl.set(config.jwksUrl, jwks);
      }
      ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: ["RS256", "ES256"] }));
    } else if (config.jwtSecret) {
      ({ payload } = await jwtVerify(token, await hmacKey(config.jwtSecret), { ...options, algorithms: ["HS256"] }));
    } else {
      throw unauthenticated(msg("UNAUTHENTICATED.noJwt"));
    }
  } catch (error) {
    if (error instanceof AccessDenied) throw error;
    if (error instanceof errors.JWTExpired) throw unauthenticated(msg("UNAUTHENTICATED.tokenExpired"));
    throw unauthenticated(msg("UNAUTHENTICATED.tokenInvalid"));
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw unauthenticated(msg("UNAUTHENTICATED.claimsInvalid"));
  const { sub, role, region, sponsorId, participantId } = claims.data;
  if (role === "OFFICER" && !region) throw unauthenticated(msg("UNAUTHENTICATED.officerRegion"));
  if (role === "SPONSOR" && !sponsorId) throw unauthenticated(msg("UNAUTHENTICATED.sponsorClaim"));
  if (role === "PARTICIPANT" && !participantId) {
    throw unauthenticated(msg("UNAUTHENTICATED.participantClaim"));
  }
  const viewer: Viewer = {
    kind: "user",
    role: role satisfies Role,
    subject: sub,
    // An identity provider may put any scope in a token; the role decides which count, as for keys.
    scopes: scopesForRole(role, claims.data.scopes),
    ...(region ? { regionCode: region } : {}),
    ...(sponsorId ? { sponsorId } : {}),
    ...(participantId ? { participantId } : {}),
    ...(claims.data.client_id ? { clientId: claims.data.client_id } : {}),
  };
  const exp = (payload as { exp?: unknown }).exp;
  return { viewer, expiresAt: typeof exp === "number" ? exp * 1000 : null };
}

async function verifyApiKey(key: string, db: Database): Promise<Viewer> {
  const parsed = parseApiKey(key);
  if (!parsed) throw unauthenticated(msg("UNAUTHENTICATED.apiKeyInvalid"));
  const stored = await findApiKeyByPrefix(db, parsed.prefix);
  const hash = await hashApiKey(key);
  if (!stored || !sameDigest(stored.secretHash, hash)) throw unauthenticated(msg("UNAUTHENTICATED.apiKeyInvalid"));
  if (stored.revokedAt) throw unauthenticated(msg("UNAUTHENTICATED.apiKeyRevoked"));
  // A key issued to a sponsor is that sponsor's login; any other key is a partner integration.
  const role = stored.sponsorId ? "SPONSOR" : "PARTNER";
  return {
    kind: "user",
    role,
    subject: `${API_KEY_SUBJECT_PREFIX}${stored.prefix}`,
    // A scope the role cannot use is never held (older sponsor keys were issued some).
    scopes: scopesForRole(role, stored.scopes),
    apiKeyId: stored.id,
    ...(stored.sponsorId ? { sponsorId: stored.sponsorId } : {}),
  };
}

/** Who is calling: a verified JWT, a partner API key, or no one. A bad credential is an error, never anonymous. */
export async function authenticate(headers: Headers, config: AuthConfig, db: Database): Promise<Viewer> {
  const authorization = headers.get("authorization");
  const apiKey = headers.get("x-api-key");
  if (authorization !== null) {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization.trim());
    if (!match?.[1]) throw unauthenticated(msg("UNAUTHENTICATED.authorizationHeader"));
    return verifyTokenOnce(match[1], config);
  }
  if (apiKey !== null) return verifyApiKey(apiKey.trim(), db);
  return { kind: "anonymous" };
}
