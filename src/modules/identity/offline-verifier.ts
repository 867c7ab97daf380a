/**
 * The verifier of `npm run dev` and the embedded tests: no network, the same answer every time,
 * decided by the NIK's last four digits (its serial) so a developer can produce each outcome on
 * purpose (README, "Identity verification offline"):
 *   9990–9994 the registry does not know the NIK          → NOT_FOUND
 *   9995–9996 the registry records the person as deceased → DECEASED
 *   9997      the name does not match                     → MISMATCH (name)
 *   9998      the birth date does not match               → MISMATCH (birthDate)
 *   9999      the registry does not answer                → UNAVAILABLE after every retry
 *   any other serial: the registry knows the person as given → VERIFIED
 */
import type { IdentityQuery, IdentityVerifier, VerifierResult } from "./verifier";

export const OFFLINE_VERIFIER_VERSION = "offline/1";

export function offlineVerifier(): IdentityVerifier {
  return {
    version: OFFLINE_VERIFIER_VERSION,
    async verify(query: IdentityQuery): Promise<VerifierResult> {
      const serial = Number(query.nik.slice(-4));
      if (serial === 9999) return { kind: "UNAVAILABLE", reason: "offline: serial 9999", retryable: true };
      if (serial >= 9990 && serial <= 9994) {
        return {
          kind: "ANSWERED",
          answer: { nikFound: false, name: null, birthDateMatches: null, deceased: false, faceMatchScore: null },
        };
      }
      return {
        kind: "ANSWERED",
        answer: {
          nikFound: true,
          name: serial === 9997 ? { matches: false, similarity: 0.42 } : { matches: true, similarity: 1 },
          birthDateMatches: serial !== 9998,
          deceased: serial === 9995 || serial === 9996,
          faceMatchScore: null,
        },
      };
    },
  };
}
