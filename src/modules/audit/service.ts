import type { ServiceContext } from "../../context";
import type { Transaction } from "../../db/client";
import { partitionsChanged } from "../../db/growth";
import type { UserError } from "../../shared/errors";
import type { JobStep } from "../jobs/service";
import { type AuditOutcome, keepAuditPartitions, recordAudit } from "./store";
import { auditKeptMonths } from "./tables";

/** What an audited mutation needs of its ServiceContext. */
export type MutationContext = Pick<ServiceContext, "db" | "viewer" | "requestId" | "clock">;

export interface AuditedResult<T> {
  result: T;
  targetIds: string[];
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

/** A refused attempt: nothing changes but its audit row, which keeps the error codes. */
export function rejection<T extends { userErrors: UserError[] }>(
  result: T,
  targetIds: string[] = [],
): AuditedResult<T> {
  return { result, targetIds, outcome: "REJECTED", details: { codes: result.userErrors.map((e) => e.code) } };
}

/**
 * Runs a mutation's writes and its audit row in one transaction: the change and the record of
 * who made it commit together or not at all. Rejected attempts are recorded too.
 */
export async function audited<T>(
  ctx: MutationContext,
  operation: string,
  work: (tx: Transaction) => Promise<AuditedResult<T>>,
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const { result, targetIds, outcome, details } = await work(tx);
    await recordAudit(tx, ctx.viewer, ctx.requestId, {
      operation,
      targetIds,
      outcome,
      ...(details ? { details } : {}),
      at: ctx.clock.now(),
    });
    return result;
  });
}

/** The audit log's part of the daily job (`src/daily-job.ts`): its months' partitions made and archived. */
export function auditUpkeepSteps(now: Date): JobStep[] {
  return [
    {
      name: "audit:partitions",
      run: async (tx) => partitionsChanged(await keepAuditPartitions(tx, now, auditKeptMonths)),
    },
  ];
}
