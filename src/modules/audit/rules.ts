import type { Viewer } from "../access/rules";

/** Who an audit row names as the actor. */
export function auditActor(viewer: Viewer): { actorId: string | null; actorRole: string } {
  return viewer.kind === "user"
    ? { actorId: viewer.subject, actorRole: viewer.role }
    : { actorId: null, actorRole: "ANONYMOUS" };
}
