import type { Database } from "./db/client";
import { auditUpkeepSteps } from "./modules/audit/service";
import { type DailyProofs, dailyRollupStepsFor } from "./modules/dashboard/service";
import { eventCalendarSteps, outboxUpkeepSteps } from "./modules/events/schedule";
import { duplicateSearchSteps } from "./modules/identity/duplicates";
import type { JobStep } from "./modules/jobs/service";
import { paymentUpkeepSteps } from "./modules/payments/service";
import { regionCodesAt } from "./modules/regions/service";

/** The daily job's name in its checkpoints (one run per WIB day). */
export const DAILY_JOB = "daily-rollups";

/**
 * Every step of the daily job, in order, for the scheduled invocations (`runScheduledJob`), `npm run
 * month-end` and the bench: first the upkeep of the tables that grow by design (docs/operators.md,
 * "Partitioned tables"), since payments and events cannot be written without the partitions it
 * makes ahead and a run stops at a step that fails: nothing later may hold it up. Then the event
 * calendar and the duplicate search (partners and officers hear of the day early), then the
 * dashboard's rollup proofs and month closes. The regencies' proofs take turns over a week unless
 * `proofs.everyShard` asks for all of them.
 */
export async function dailyJobSteps(db: Database, now: Date, proofs: DailyProofs = {}): Promise<JobStep[]> {
  const provinces = await regionCodesAt(db, "PROVINCE");
  return [
    ...paymentUpkeepSteps(now),
    ...outboxUpkeepSteps(now),
    ...auditUpkeepSteps(now),
    ...eventCalendarSteps(now, provinces),
    ...duplicateSearchSteps(now, provinces),
    ...(await dailyRollupStepsFor(db, now, proofs)),
  ];
}
