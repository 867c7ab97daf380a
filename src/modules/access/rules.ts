/**
 * Who may see and do what (DESIGN §3). Pure functions over the viewer; SQL filters that apply the
 * same rules to lists live in the stores.
 */

export const roles = ["ADMIN", "OFFICER", "SPONSOR", "PARTNER", "PARTICIPANT"] as const;
export type Role = (typeof roles)[number];

/** Scopes a partner key or token may carry. ADMIN holds every scope. */
export const scopes = [
  "pii:read",
  "participants:read",
  "participants:register",
  "participants:write",
  "payments:read",
  "payments:write",
  "payments:settle",
  "sponsors:read",
  "sponsors:write",
  "outreach:write",
] as const;
export type Scope = (typeof scopes)[number];

/**
 * The scopes a caller of each role may hold, whoever vouches for them: our API keys, or an identity
 * provider's tokens. Roles confined to their own slice (an officer's region, a sponsor's workers,
 * a participant's own record) keep only `pii:read`, which unmasks what they already see: read-all,
 * write and settle scopes would widen them to other regions' and sponsors' workers and money. A
 * participant holds none.
 */
const usableScopes: Record<Role, ReadonlySet<Scope>> = {
  ADMIN: new Set(scopes),
  OFFICER: new Set(["pii:read"]),
  SPONSOR: new Set(["pii:read"]),
  PARTNER: new Set(scopes),
  PARTICIPANT: new Set(),
};

/** The known scopes among `claimed` that `role` may hold: every credential's scopes are cut to these. */
export function scopesForRole(role: Role, claimed: readonly string[] | null | undefined): Set<Scope> {
  const usable = usableScopes[role];
  return new Set((claimed ?? []).filter((scope): scope is Scope => usable.has(scope as Scope)));
}

export type Viewer =
  | { kind: "anonymous" }
  | {
      kind: "user";
      role: Role;
      subject: string;
      scopes: ReadonlySet<Scope>;
      /** OFFICER: the region prefix (`31`, `31.71`, ...) they are limited to. */
      regionCode?: string;
      /** SPONSOR (or a sponsor's partner key): the sponsor acted for. */
      sponsorId?: number;
      /** PARTICIPANT: the participant themself. */
      participantId?: number;
      /** PARTNER via X-Api-Key: the key's id, for audit and rate limits. */
      apiKeyId?: number;
      /** Bearer tokens: the OAuth client the token was issued to (its `client_id` claim). */
      clientId?: string;
    };

export type AuthenticatedViewer = Extract<Viewer, { kind: "user" }>;

export const anonymous: Viewer = { kind: "anonymous" };

/**
 * Whose idempotency keys these are: the caller's subject (token subject, or `api-key:<prefix>`).
 * Two callers' equal keys are two operations; neither can block or probe the other's.
 */
export function idempotencyScopeOf(viewer: Viewer): string {
  return viewer.kind === "user" ? viewer.subject : "anonymous";
}

export function hasScope(viewer: Viewer, scope: Scope): boolean {
  return viewer.kind === "user" && (viewer.role === "ADMIN" || viewer.scopes.has(scope));
}

/** A village code lies in a region when it is the region or below it in the hierarchy. */
export function inRegion(villageCode: string, regionCode: string): boolean {
  return villageCode === regionCode || villageCode.startsWith(`${regionCode}.`);
}

/**
 * First-party apps (the JMO app; their tokens name a client listed in FIRST_PARTY_CLIENTS) run only
 * the operations registered at their build (trusted documents); partners and tools may send any
 * document. A closed list is a smaller attack surface and a smaller request.
 */
export function mustUseTrustedDocuments(viewer: Viewer, firstPartyClients: ReadonlySet<string>): boolean {
  return viewer.kind === "user" && viewer.clientId !== undefined && firstPartyClients.has(viewer.clientId);
}
