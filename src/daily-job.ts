import type { Database } from "./db/client";
import { auditUpkeepSteps } from "./modules/audit/service";
import { dailyRollupStepsFor } from "./modules/dashboard/service";
import { outboxUpkeepSteps } from "./modules/events/schedule";
import type { JobStep } from "./modules/jobs/service";
import { paymentUpkeepSteps } from "./modules/payments/service";

/** The daily job's name in its checkpoints (one run per WIB day). */
export const DAILY_JOB = "daily-rollups";

/**
 * Every step of the daily job, in order, for the scheduled invocations (`runScheduledJob`), `npm run
 * month-end` and the bench: the dashboard's rollup proofs and month closes, then the upkeep of the
 * tables that grow by design (docs/operators.md, "Partitioned tables").
 */
export async function dailyJobSteps(db: Database, now: Date): Promise<JobStep[]> {
  return [
    ...(await dailyRollupStepsFor(db, now)),
    ...paymentUpkeepSteps(now),
    ...outboxUpkeepSteps(now),
    ...auditUpkeepSteps(now),
  ];
}
