/**
 * Who may do what, as one vocabulary: every decision the API makes about a caller's permission is a
 * named action, checked by one call, `may(viewer, action, resource?)`, from the schema (Pothos
 * `authScopes: { action }`), the services and the HTTP routes alike (in the way GraphQL Hive's
 * `assertPerformAction` names its decisions). docs/apps.md's table of roles and actions is written
 * from this list (`npm run docs:roles`), and src/modules/access/actions.test.ts checks every role
 * against every action.
 *
 * Which rows a caller sees (participants, payments, sponsors) is a separate kind of rule: the
 * domain modules keep each as a JS check beside its SQL twin (docs/contributors.md "Rules with SQL
 * twins"), since lists must apply it inside their statements.
 */
import { type AuthenticatedViewer, type Role, roles, type Scope, scopes, scopesForRole, type Viewer } from "./rules";

/** What an action is decided about, when it concerns one thing. */
interface ActionResources {
  "participant:register": undefined;
  "participant:update": undefined;
  "participant:lookUpByNik": undefined;
  "membership:recordExit": undefined;
  "membership:withdrawDeath": undefined;
  "membership:move": undefined;
  "membership:readOwnCard": undefined;
  "identity:recheck": undefined;
  "identity:resolveDuplicate": undefined;
  "payment:pay": undefined;
  "payment:settle": undefined;
  "payment:readAll": undefined;
  "sponsor:signUp": undefined;
  "sponsor:actFor": { sponsorId: number };
  "sponsorship:fund": undefined;
  "outreach:record": { registeredById: number | null };
  "webhook:manage": undefined;
  "coverageTarget:set": undefined;
}
export type Action = keyof ActionResources;
/** Actions decided about the caller alone, which the schema's `authScopes: { action }` names. */
export type CallerAction = { [A in Action]: ActionResources[A] extends undefined ? A : never }[Action];

interface ActionRule<Resource> {
  /** What the action lets a caller do, for the documentation's table. */
  does: string;
  allows(viewer: AuthenticatedViewer, resource: Resource): boolean;
}

const holds = (viewer: AuthenticatedViewer, scope: Scope) => viewer.role === "ADMIN" || viewer.scopes.has(scope);

export const actions: { [A in Action]: ActionRule<ActionResources[A]> } = {
  "participant:register": {
    does: "register workers (Nyalakan: participants register others)",
    allows: (viewer) =>
      viewer.role === "PARTNER"
        ? viewer.scopes.has("participants:register")
        : viewer.role === "ADMIN" || viewer.role === "OFFICER" || viewer.role === "PARTICIPANT",
  },
  "participant:update": {
    does: "change the details of a worker they may see",
    allows: (viewer) =>
      viewer.role === "PARTNER"
        ? viewer.scopes.has("participants:write")
        : viewer.role === "ADMIN" || viewer.role === "OFFICER" || viewer.role === "PARTICIPANT",
  },
  "participant:lookUpByNik": {
    does: "find a worker by full NIK",
    allows: (viewer) => holds(viewer, "pii:read"),
  },
  "membership:recordExit": {
    does: "record a member's exit (death, retirement age, …) for a worker they may see",
    allows: (viewer) => viewer.role === "ADMIN" || viewer.role === "OFFICER",
  },
  "membership:withdrawDeath": {
    does: "withdraw a death report recorded in error",
    allows: (viewer) => viewer.role === "ADMIN",
  },
  "membership:move": {
    does: "move a worker they may see between BPU and PU (hired, or the job ended)",
    allows: (viewer) =>
      viewer.role === "PARTNER"
        ? viewer.scopes.has("participants:write")
        : viewer.role === "ADMIN" || viewer.role === "OFFICER",
  },
  "membership:readOwnCard": {
    does: "read their own membership card, its verification code and their JHT savings (the JMO app)",
    allows: (viewer) => viewer.role === "PARTICIPANT" && viewer.participantId !== undefined,
  },
  "identity:recheck": {
    does: "ask the civil registry again about a worker they may see (rate-limited, audited)",
    allows: (viewer) => viewer.role === "ADMIN" || viewer.role === "OFFICER",
  },
  "identity:resolveDuplicate": {
    does: "review duplicate candidates among workers they may see, and merge one person's two records",
    allows: (viewer) => viewer.role === "ADMIN" || viewer.role === "OFFICER",
  },
  "payment:pay": {
    does: "pay contributions for a worker they may see",
    allows: (viewer) => (viewer.role === "PARTNER" ? viewer.scopes.has("payments:write") : true),
  },
  "payment:settle": {
    does: "record a payment channel's outcome by hand, settle batches",
    allows: (viewer) => holds(viewer, "payments:settle"),
  },
  "payment:readAll": {
    does: "read every payment (a payment back office)",
    allows: (viewer) => holds(viewer, "payments:read") || holds(viewer, "payments:settle"),
  },
  "sponsor:signUp": {
    does: "sign up a sponsor and issue its login",
    allows: (viewer) => holds(viewer, "sponsors:write"),
  },
  "sponsor:actFor": {
    does: "manage a sponsor's sponsorships, enrollments and reports (a sponsor: its own)",
    allows: (viewer, { sponsorId }) => holds(viewer, "sponsors:write") || viewer.sponsorId === sponsorId,
  },
  "sponsorship:fund": {
    does: "set a sponsorship's budget (the agency commits money; a sponsor's figure waits as a request)",
    allows: (viewer) => holds(viewer, "sponsors:write"),
  },
  "outreach:record": {
    does: "record outreach to a worker they may see (a participant: the workers they registered)",
    allows: (viewer, { registeredById }) =>
      viewer.role === "PARTNER"
        ? viewer.scopes.has("outreach:write")
        : viewer.role !== "PARTICIPANT" || registeredById === viewer.participantId,
  },
  "webhook:manage": {
    does: "subscribe endpoints to partner events (integrations with an API key; ADMIN)",
    allows: (viewer) => viewer.role === "ADMIN" || viewer.apiKeyId !== undefined,
  },
  "coverageTarget:set": {
    does: "set the national and ecosystem coverage targets",
    allows: (viewer) => viewer.role === "ADMIN",
  },
};

export const actionNames = Object.keys(actions) as Action[];

/** Whether the caller may perform `action` (on `resource`, for actions about one thing). Anonymous callers may not. */
export function may<A extends Action>(
  viewer: Viewer,
  action: A,
  ...resource: ActionResources[A] extends undefined ? [] : [ActionResources[A]]
): boolean {
  if (viewer.kind !== "user") return false;
  return actions[action].allows(viewer, resource[0] as ActionResources[A]);
}

/** What a role's credential carries about its owner: a sponsor's login is a key tied to its sponsor. */
const ownIdentity: Record<Role, Partial<AuthenticatedViewer>> = {
  ADMIN: {},
  OFFICER: { regionCode: "31" },
  SPONSOR: { sponsorId: 1, apiKeyId: 1 },
  PARTNER: { apiKeyId: 2 },
  PARTICIPANT: { participantId: 1 },
};

/**
 * One row of the documentation's table: for each role, whether it may perform the action with no
 * scope (`yes`), only holding a scope its role may hold (`with scope`), only on what is its own — its
 * sponsor, the workers it registered, through its API key — (`own`), or not (`no`). Decided by
 * asking the rules themselves, so the table cannot drift from them.
 */
export function roleCells(action: Action): Record<Role, "yes" | "with scope" | "own" | "no"> {
  const cells = {} as Record<Role, "yes" | "with scope" | "own" | "no">;
  const ours = { sponsorId: 1, registeredById: 1 } as ActionResources[Action];
  const theirs = { sponsorId: 9, registeredById: 9 } as ActionResources[Action];
  const rule = actions[action] as ActionRule<ActionResources[Action]>;
  for (const role of roles) {
    const asked = (held: ReadonlySet<Scope>, identity: Partial<AuthenticatedViewer>, about: ActionResources[Action]) =>
      rule.allows({ kind: "user", role, subject: "table", scopes: held, ...identity }, about);
    const usable = scopesForRole(role, scopes);
    cells[role] = asked(new Set(), {}, theirs)
      ? "yes"
      : asked(usable, {}, theirs)
        ? "with scope"
        : asked(usable, ownIdentity[role], ours)
          ? "own"
          : "no";
  }
  return cells;
}
