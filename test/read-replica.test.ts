import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { month, monthKey } from "./testkit/dates";
import { givenCoverage, givenParticipant } from "./testkit/fixtures";
import { gid, pay } from "./testkit/payments";

/**
 * A read replica bound through DATABASE_REPLICA_URL (#33 item 5) takes the reads that tolerate
 * seconds of lag (dashboards and their reports) and nothing else: here the replica is a database
 * of its own holding other workers than the primary, so each answer shows where it was read.
 */
let api: TestApi;

type Dashboard = { coverageDashboard: { registered: number; active: number } };
const DASHBOARD = "{ coverageDashboard { registered active } }";

beforeAll(async () => {
  api = await startTestApi({ replica: true });
});
afterAll(async () => {
  await api?.close();
});

describe("a bound read replica", () => {
  it("answers the dashboard and its report, while the participant's own reads and every write stay on the primary", async () => {
    const replica = api.replica;
    if (!replica) throw new Error("no replica bound");
    // The primary holds one covered worker; the replica, as if lagging, three others.
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    await givenCoverage(api.db, worker.id, [month(0)]);
    for (let i = 0; i < 3; i++) {
      const elsewhere = await givenParticipant(replica.db, { programs: ["JKK", "JKM"] });
      await givenCoverage(replica.db, elsewhere.id, [month(0)]);
    }

    const dashboard = dataOf(await api.graphql<Dashboard>(DASHBOARD)).coverageDashboard;
    expect(dashboard.registered).toBe(3);

    // The funnel's report: this month's registrations, as the replica has them.
    const report = await api.request(`/reports/registration-funnel.csv?from=${monthKey(0)}&to=${monthKey(0)}`, {
      headers: await bearer({ role: "ADMIN" }),
    });
    expect(report.status).toBe(200);
    const [, ...rows] = (await report.text()).replace("\uFEFF", "").trim().split("\r\n");
    expect(rows.reduce((sum, row) => sum + Number(row.split(";")[2]), 0)).toBe(3);

    // A participant's page and a payment: the primary.
    const own = dataOf(
      await api.graphql<{ participant: { id: string } | null }>(`query ($id: ID!) { participant(id: $id) { id } }`, {
        id: gid("Participant", worker.id),
      }),
    ).participant;
    expect(own?.id).toBe(gid("Participant", worker.id));
    const payment = await pay(api, worker.id, 1);
    expect(payment.status).toBe("PENDING");
  });

  it("reads the primary for the dashboard when no replica is bound", async () => {
    const primaryOnly = await startTestApi();
    try {
      const worker = await givenParticipant(primaryOnly.db, { programs: ["JKK", "JKM"] });
      await givenCoverage(primaryOnly.db, worker.id, [month(0)]);
      const dashboard = dataOf(await primaryOnly.graphql<Dashboard>(DASHBOARD)).coverageDashboard;
      expect(dashboard.registered).toBe(1);
    } finally {
      await primaryOnly.close();
    }
  });
});
