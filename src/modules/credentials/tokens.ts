import { SignJWT } from "jose";
import type { Role, Scope } from "../access/rules";

export interface TokenClaims {
  subject: string;
  role: Role;
  scopes?: Scope[];
  region?: string;
  sponsorId?: number;
  participantId?: number;
  /** The `client_id` claim: the app the token was issued to (e.g. `jmo`). */
  clientId?: string;
}

/** Signs an HS256 token with the claims `authenticate` reads: for development tools and tests. */
export function signDevelopmentToken(claims: TokenClaims, secret: string, expiresIn = "12h"): Promise<string> {
  const { subject, clientId, ...rest } = claims;
  return new SignJWT({ ...rest, ...(clientId ? { client_id: clientId } : {}) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
