import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { z } from "zod";
import type { Database } from "../../db/client";
import { sameDigest } from "../../shared/digest";
import { REGION_CODE } from "../regions/codes";
import { hashApiKey, parseApiKey } from "./api-keys";
import { type Role, roles, type Scope, scopes, type Viewer } from "./rules";
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
export class AuthenticationError extends Error {
  readonly code = "UNAUTHENTICATED";
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(128),
  role: z.enum(roles),
  scopes: z.array(z.string()).max(50).optional(),
  region: z.string().regex(REGION_CODE).optional(),
  sponsorId: z.number().int().positive().optional(),
  participantId: z.number().int().positive().optional(),
});

const knownScopes = new Set<string>(scopes);
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

function toScopes(values: readonly string[] | undefined): Set<Scope> {
  return new Set((values ?? []).filter((s): s is Scope => knownScopes.has(s)));
}

async function verifyToken(token: string, config: AuthConfig): Promise<Viewer> {
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
      throw new AuthenticationError("Bearer tokens are not accepted: no JWT verification is configured");
    }
  } catch (error) {
    if (error instanceof AuthenticationError) throw error;
    if (error instanceof errors.JWTExpired) throw new AuthenticationError("The token has expired");
    throw new AuthenticationError("The token is not valid");
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new AuthenticationError("The token's claims are not valid");
  const { sub, role, region, sponsorId, participantId } = claims.data;
  if (role === "OFFICER" && !region) throw new AuthenticationError("An OFFICER token needs a region claim");
  if (role === "SPONSOR" && !sponsorId) throw new AuthenticationError("A SPONSOR token needs a sponsorId claim");
  if (role === "PARTICIPANT" && !participantId) {
    throw new AuthenticationError("A PARTICIPANT token needs a participantId claim");
  }
  return {
    kind: "user",
    role: role satisfies Role,
    subject: sub,
    scopes: toScopes(claims.data.scopes),
    ...(region ? { regionCode: region } : {}),
    ...(sponsorId ? { sponsorId } : {}),
    ...(participantId ? { participantId } : {}),
  };
}

async function verifyApiKey(key: string, db: Database): Promise<Viewer> {
  const parsed = parseApiKey(key);
  if (!parsed) throw new AuthenticationError("The API key is not valid");
  const stored = await findApiKeyByPrefix(db, parsed.prefix);
  const hash = await hashApiKey(key);
  if (!stored || !sameDigest(stored.secretHash, hash)) throw new AuthenticationError("The API key is not valid");
  if (stored.revokedAt) throw new AuthenticationError("The API key has been revoked");
  return {
    kind: "user",
    // A key issued to a sponsor is that sponsor's login; any other key is a partner integration.
    role: stored.sponsorId ? "SPONSOR" : "PARTNER",
    subject: `api-key:${stored.prefix}`,
    scopes: toScopes(stored.scopes),
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
    if (!match?.[1]) throw new AuthenticationError("The Authorization header must be `Bearer <JWT>`");
    return verifyToken(match[1], config);
  }
  if (apiKey !== null) return verifyApiKey(apiKey.trim(), db);
  return { kind: "anonymous" };
}
