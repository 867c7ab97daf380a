/**
 * The civil registry (Dukcapil) behind one interface: it answers whether what a registration says
 * of a person matches its record — a match result, never the record itself.
 */

export interface IdentityQuery {
  nik: string;
  fullName: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  /** A reference to a face photo the registry may compare, when the channel took one. */
  faceImageRef?: string | null;
}

export interface RegistryAnswer {
  nikFound: boolean;
  /** Null when the NIK is not found. */
  name: { matches: boolean; similarity: number } | null;
  birthDateMatches: boolean | null;
  deceased: boolean;
  /** 0..1, when a face was compared. */
  faceMatchScore: number | null;
}

export type VerifierResult =
  | { kind: "ANSWERED"; answer: RegistryAnswer }
  | { kind: "UNAVAILABLE"; reason: string; retryable: boolean };

export interface IdentityVerifier {
  /** Stored with each decision: which verifier (and which of its versions) decided. */
  readonly version: string;
  verify(query: IdentityQuery, options?: { signal?: AbortSignal }): Promise<VerifierResult>;
}
