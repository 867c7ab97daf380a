import { sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client";
import { changePartitions } from "../../db/growth";
import { rowsOf } from "../../db/rows";
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

/**
 * Makes this month's and next month's partitions of the audit log and archives months past
 * `keptMonths` (`audit_log_partitions`); returns the partitions created and archived, or null when
 * the audit log was too busy to lock (left for the next run).
 */
export function keepAuditPartitions(
  tx: Transaction,
  now: Date,
  keptMonths: number,
): Promise<{ created: string[]; archived: string[] } | null> {
  return changePartitions(tx, async (change) => {
    const result = await change.execute(
      sql`select audit_log_partitions(${now.toISOString()}::timestamptz, ${keptMonths}::integer) as upkeep`,
    );
    const [row] = rowsOf<{ upkeep: { created: string[]; archived: string[] } }>(result);
    return row?.upkeep ?? { created: [], archived: [] };
  });
}
