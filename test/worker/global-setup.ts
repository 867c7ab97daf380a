import { readFile } from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../scripts/embedded-postgres";
import { hyperdriveOrigin } from "../../scripts/hyperdrive-local";
import { connectNode } from "../../scripts/node-database";
import { daysFromToday, month } from "../testkit/dates";
import { givenParticipant } from "../testkit/fixtures";
import { ensurePgliteTemplate } from "../testkit/global-setup";
import { pgliteTemplatePath } from "../testkit/templates";

declare module "vitest" {
  export interface ProvidedContext {
    /** The embedded database, as the Worker's HYPERDRIVE binding takes it (with a password). */
    workerHyperdriveOrigin: string;
    /**
     * The daily cron's run after TODAY (17:05 UTC, 00:05 WIB on the next WIB day), from the
     * testkit's dates: the worker tests run inside workerd, where TEST_TODAY is not in reach.
     */
    nextCronRun: string;
  }
}

/**
 * The database the Worker reaches from inside workerd: an embedded PGlite copied from the test
 * template (the main global setup builds it first) and one known participant, reached through the
 * Worker's HYPERDRIVE binding as under `npm run dev`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensurePgliteTemplate();
  const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([await readFile(pgliteTemplatePath)]) });
  const seed = await connectNode(embedded.url);
  await givenParticipant(seed.db, {
    nik: "3173014507900001",
    fullName: "Ani Lestari",
    villageCode: "31.71.01.1001",
    paidThrough: month(0),
  });
  await seed.close();
  project.provide("workerHyperdriveOrigin", hyperdriveOrigin(embedded.url));
  project.provide("nextCronRun", new Date(`${daysFromToday(1)}T00:05:00+07:00`).toISOString());
  return async () => {
    await embedded.stop();
  };
}
