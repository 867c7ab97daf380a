import { readFile } from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../scripts/embedded-postgres";
import { closeNodeProxy, connectNode, nodeProxy } from "../../scripts/node-database";
import { givenParticipant } from "../testkit/fixtures";
import { ensurePgliteTemplate } from "../testkit/global-setup";
import { pgliteTemplatePath } from "../testkit/templates";

declare module "vitest" {
  export interface ProvidedContext {
    workerDatabaseUrl: string;
    workerDatabaseProxy: string;
  }
}

/**
 * The database the Worker reaches from inside workerd: an embedded PGlite copied from the test
 * template (the main global setup builds it first), one known participant, and the WebSocket
 * proxy the Neon driver goes through, as under `npm run dev`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensurePgliteTemplate();
  const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([await readFile(pgliteTemplatePath)]) });
  const seed = await connectNode(embedded.url);
  await givenParticipant(seed.db, {
    nik: "3173014507900001",
    fullName: "Ani Lestari",
    villageCode: "31.71.01.1001",
    paidThrough: "2026-11-01",
  });
  await seed.close();
  const proxy = await nodeProxy();
  project.provide("workerDatabaseUrl", embedded.url);
  project.provide("workerDatabaseProxy", `127.0.0.1:${proxy.port}/v1`);
  return async () => {
    await closeNodeProxy();
    await embedded.stop();
  };
}
