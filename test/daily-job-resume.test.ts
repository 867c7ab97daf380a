import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScheduledJob } from "../src/app";
import { DAILY_JOB, dailyJobSteps } from "../src/daily-job";
import { verifyRollups } from "../src/modules/dashboard/service";
import { type JobStep, runJobSteps } from "../src/modules/jobs/service";
import { startTestApi, type TestApi } from "./testkit/api";
import { daysFromToday, month } from "./testkit/dates";
import { givenCoverage, givenParticipant } from "./testkit/fixtures";

/**
 * The daily job as checkpointed steps (#33 item 1): an invocation starts no step after its budget
 * and the next one carries the run forward; a run killed half-way (its connection terminated by
 * PostgreSQL in the middle of a step) resumes at that step, and no step is applied twice.
 */
let api: TestApi;
const nextCronRun = () => new Date(`${daysFromToday(1)}T00:05:00+07:00`);
const rows = async <T>(query: ReturnType<typeof sql>) => (await api.db.execute(query)) as unknown as { rows: T[] };

beforeAll(async () => {
  api = await startTestApi();
  for (const village of ["32.73.01.1001", "31.71.01.1001", "32.73.01.1001"]) {
    const worker = await givenParticipant(api.db, { villageCode: village });
    await givenCoverage(api.db, worker.id, [month(-3), month(-2), month(-1), month(0)]);
  }
});
afterAll(async () => api?.close());

async function checkpoints(runKey: string) {
  return (
    await rows<{ step: string }>(
      sql`select step from job_checkpoints where job = ${DAILY_JOB} and run_key = ${runKey} order by step`,
    )
  ).rows.map((row) => row.step);
}

describe("the daily job's invocations", () => {
  it("stop starting steps at their budget, and the next one carries the run forward", async () => {
    const scheduledTime = nextCronRun().getTime();
    const logs: Record<string, unknown>[] = [];
    const log = (entry: object) => logs.push(entry as Record<string, unknown>);
    // No time at all: nothing done, everything left for the next tick.
    await runScheduledJob(api.env, { log, scheduledTime, budgetMs: 0 });
    const steps = (await dailyJobSteps(api.db, new Date(scheduledTime))).map((step) => step.name);
    // Rollups kept by province are verified province by province: 38 small steps, not one pass.
    expect(steps.filter((step) => step.startsWith("verify:coverage_rollups:"))).toHaveLength(38);
    expect(logs.at(-1)).toMatchObject({ outcome: "PARTIAL", steps: { finished: [], remaining: steps } });
    await runScheduledJob(api.env, { log, scheduledTime: scheduledTime + 30 * 60_000 });
    expect(logs.at(-1)).toMatchObject({ outcome: "OK", steps: { finished: steps, earlier: 0, remaining: [] } });
    // Done for the day: the hourly ticks after it do nothing.
    await runScheduledJob(api.env, { log, scheduledTime: scheduledTime + 90 * 60_000 });
    expect(logs.at(-1)).toMatchObject({ outcome: "OK", steps: { finished: [], earlier: steps.length, remaining: [] } });
  });
});

/** The steps with the one at `killAt` killed once its work is done: the server ends its connection before the commit. */
function killedAt(steps: readonly JobStep[], killAt: number): JobStep[] {
  return steps.map((step, i) =>
    i === killAt
      ? {
          name: step.name,
          run: async (tx) => {
            const result = await step.run(tx); // the step's work is done, not committed...
            await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`); // ...and the server ends it
            return result;
          },
        }
      : step,
  );
}

/** Runs steps to the end as the daily job's run `runKey` on the day of `now`. */
const runAs = (runKey: string, now: Date) => (list: readonly JobStep[]) =>
  runJobSteps(api.db, {
    job: DAILY_JOB,
    runKey,
    steps: list,
    budgetMs: Number.POSITIVE_INFINITY,
    elapsedMs: () => 0,
    finishedAt: () => now.toISOString(),
  });

describe.skipIf(process.env.TEST_DATABASE !== "postgres")("a daily run killed half-way", () => {
  it("resumes at the step it lost and applies every step once", async () => {
    const now = new Date(`${daysFromToday(2)}T00:05:00+07:00`);
    const runKey = "killed-run";
    // Two rollups drifted: the step repairing the first commits, the second is killed mid-step.
    await api.db.execute(sql`update coverage_rollups set participants = participants + 5 where region_level = 1`);
    await api.db.execute(sql`update monthly_active_rollups set participants = participants + 7`);
    const steps = await dailyJobSteps(api.db, now);
    // Killed in the first province's step of the second rollup, after every province of the first.
    const killAt = steps.findIndex((step) => step.name.startsWith("verify:monthly_active_rollups:"));
    expect(killAt).toBeGreaterThan(steps.findLastIndex((step) => step.name.startsWith("verify:coverage_rollups:")));
    const killed = killedAt(steps, killAt);
    const run = runAs(runKey, now);
    await expect(run(killed)).rejects.toThrow();
    const before = await checkpoints(runKey);
    expect(before.sort()).toEqual(
      steps
        .slice(0, killAt)
        .map((step) => step.name)
        .sort(),
    );
    const drift = await verifyRollups(api.db, { repair: false });
    expect(drift.coverage_rollups?.drift).toBe(0); // repaired and committed before the kill
    expect(drift.monthly_active_rollups?.drift).toBeGreaterThan(0); // the killed repair left nothing

    const resumed = await run(steps);
    expect(resumed.earlier).toEqual(steps.slice(0, killAt).map((step) => step.name));
    expect(resumed.finished.map((f) => f.step)).toEqual(steps.slice(killAt).map((step) => step.name));
    expect(
      resumed.finished.filter((f) => f.step.startsWith("verify:monthly_active_rollups:") && f.result.repaired),
    ).toHaveLength(2); // provinces 31 and 32, the two with workers
    expect(resumed.finished.some((f) => f.step.startsWith("verify:coverage_rollups:"))).toBe(false);
    expect(Object.values(await verifyRollups(api.db, { repair: false })).every((r) => r.drift === 0)).toBe(true);
    // Each step once; each closed month once per scope, not twice over the two invocations.
    expect(await checkpoints(runKey)).toHaveLength(steps.length);
    const twice = await rows<{ n: number }>(sql`
      select count(*)::int as n from (select scope, scope_key, month from coverage_history
        group by 1, 2, 3 having count(*) > 1) duplicated`);
    expect(twice.rows).toEqual([{ n: 0 }]);
    expect((await run(steps)).finished).toEqual([]);
  });

  it("killed in a province's part of a month's close, counts every worker once", async () => {
    // A run early next month closes this month: its provinces' parts first, then their sum.
    const now = new Date(`${month(1).slice(0, 7)}-05T00:05:00+07:00`);
    const closing = month(0);
    const steps = await dailyJobSteps(api.db, now);
    const killAt = steps.findIndex((step) => step.name === `close:${closing.slice(0, 7)}:32`);
    expect(killAt).toBeGreaterThan(steps.findIndex((step) => step.name === `close:${closing.slice(0, 7)}:31`));
    const killed = killedAt(steps, killAt);
    const run = runAs("killed-in-close", now);
    await expect(run(killed)).rejects.toThrow();
    await run(steps);
    const latest = await rows<{ scope: string; key: string; registered: number; active: number }>(sql`
      select distinct on (scope, scope_key) scope, scope_key as key, registered::int as registered, active::int as active
      from coverage_history where month = ${closing}::date and scope in ('NATIONAL', 'PROVINCE')
      order by scope, scope_key, revision desc`);
    // Three workers (two in province 32, one in 31), each covered this month: counted once each.
    expect(latest.rows).toEqual([
      { scope: "NATIONAL", key: "", registered: 3, active: 3 },
      { scope: "PROVINCE", key: "31", registered: 1, active: 1 },
      { scope: "PROVINCE", key: "32", registered: 2, active: 2 },
    ]);
    expect(await checkpoints("killed-in-close")).toHaveLength(steps.length);
  });
});
