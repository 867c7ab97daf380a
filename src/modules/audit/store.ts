import type { Executor } from "../../db/client";
import type { Viewer } from "../access/rules";
import { auditActor } from "./rules";
import { auditLog } from "./tables";

/** REJECTED: refused by the rules (userErrors); REFUSED: refused access (FORBIDDEN, UNAUTHENTICATED, RATE_LIMITED). */
export type AuditOutcome = "SUCCEEDED" | "REJECTED" | "REPLAYED" | "REFUSED";

export interface AuditEntry {
  operation: string;
  targetIds: string[];
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
  /** When it happened: the request's clock, never the database's (one clock). */
  at: Date;
}

/** Writes one audit row with the caller's identity; pass the mutation's transaction so both commit together. */
export async function recordAudit(executor: Executor, viewer: Viewer, requestId: string, entry: AuditEntry) {
  await executor.insert(auditLog).values({
    requestId,
    ...auditActor(viewer),
    operation: entry.operation,
    targetIds: entry.targetIds,
    outcome: entry.outcome,
    details: entry.details ?? null,
    occurredAt: entry.at.toISOString(),
  });
}
