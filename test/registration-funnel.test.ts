import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { at, month, monthKey } from "./testkit/dates";
import { givenCoverage, givenParticipant, givenSponsor } from "./testkit/fixtures";
import { gid } from "./testkit/payments";

/**
 * The registration funnel (#32 item 3): which registrations turn into people who keep paying, by
 * how they came in, and the registrants and sponsors whose workers stay.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const FUNNEL = `query ($from: Month!, $to: Month!, $by: FunnelDimension, $regionCode: String) {
  registrationFunnel(from: $from, to: $to, by: $by, regionCode: $regionCode) {
    cohort key registered paidWithin30Days paidLater neverPaid activeShare3 activeShare6 activeShare12
  }
}`;
type Cohort = {
  cohort: string;
  key: string;
  registered: number;
  paidWithin30Days: number;
  paidLater: number;
  neverPaid: number;
  activeShare3: number | null;
  activeShare6: number | null;
  activeShare12: number | null;
};

describe("the registration funnel", () => {
  it("follows each registration month by channel: first payment, and who is still covered 3 and 6 months on", async () => {
    const region = { villageCode: "32.73.01.1001" };
    const registrant = await givenParticipant(api.db, { ...region, registeredAt: at(-12, 2) });
    const sponsor = await givenSponsor(api.db, { name: "PT Corong" });
    const registeredAt = at(-7, 10);
    // A Nyalakan registration who paid at once and kept paying; one who paid late; one who never paid.
    const keeps = await givenParticipant(api.db, { ...region, registeredAt, registeredById: registrant.id });
    await givenCoverage(
      api.db,
      keeps.id,
      [month(-7), month(-6), month(-5), month(-4), month(-3), month(-2), month(-1)],
      {
        settledAt: at(-7, 12),
        createdAt: at(-7, 12),
      },
    );
    const late = await givenParticipant(api.db, { ...region, registeredAt, registeredById: registrant.id });
    await givenCoverage(api.db, late.id, [month(-5)], { settledAt: at(-5, 20), createdAt: at(-5, 20) });
    await givenParticipant(api.db, { ...region, registeredAt, registeredById: registrant.id });
    await givenParticipant(api.db, { ...region, registeredAt, sponsorId: sponsor.id });

    const funnel = dataOf(
      await api.graphql<{ registrationFunnel: Cohort[] }>(FUNNEL, {
        from: monthKey(-7),
        to: monthKey(-7),
        by: "CHANNEL",
        regionCode: "32.73",
      }),
    ).registrationFunnel;
    expect(funnel).toEqual([
      {
        cohort: monthKey(-7),
        key: "NYALAKAN",
        registered: 3,
        paidWithin30Days: 1,
        paidLater: 1,
        neverPaid: 1,
        activeShare3: 1 / 3,
        activeShare6: 1 / 3,
        activeShare12: null,
      },
      {
        cohort: monthKey(-7),
        key: "SPONSOR",
        registered: 1,
        paidWithin30Days: 0,
        paidLater: 0,
        neverPaid: 1,
        activeShare3: 0,
        activeShare6: 0,
        activeShare12: null,
      },
    ]);
  });

  it("ranks registrants by six-month retention, five workers or more", async () => {
    const region = { villageCode: "31.74.02.1001" };
    const good = await givenParticipant(api.db, { ...region, registeredAt: at(-12, 2) });
    const poor = await givenParticipant(api.db, { ...region, registeredAt: at(-12, 3) });
    for (const [registrant, staying] of [
      [good, 5],
      [poor, 1],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const worker = await givenParticipant(api.db, {
          ...region,
          registeredAt: at(-9, 5),
          registeredById: registrant.id,
        });
        if (i < staying) await givenCoverage(api.db, worker.id, [month(-3)]);
      }
    }
    const board = dataOf(
      await api.graphql<{
        retentionLeaderboard: {
          best: { kind: string; id: string; activeShare6: number }[];
          worst: { kind: string; id: string; activeShare6: number }[];
        };
      }>(
        `query ($from: Month!, $to: Month!, $regionCode: String) { retentionLeaderboard(from: $from, to: $to, regionCode: $regionCode) { best { kind id registered activeShare6 } worst { kind id activeShare6 } } }`,
        { from: monthKey(-9), to: monthKey(-9), regionCode: "31.74" },
      ),
    ).retentionLeaderboard;
    expect(board.best[0]).toMatchObject({ kind: "REGISTRANT", id: gid("Participant", good.id), activeShare6: 1 });
    expect(board.worst[0]).toMatchObject({ kind: "REGISTRANT", id: gid("Participant", poor.id), activeShare6: 0.2 });
  });

  it.each([
    ["to before from", { from: monthKey(-1), to: monthKey(-2) }],
    ["more than 24 months", { from: monthKey(-25), to: monthKey(0) }],
    ["a month still ahead", { from: monthKey(0), to: monthKey(1) }],
  ])("refuses %s", async (_case, range) => {
    const refused = await api.graphql(FUNNEL, range);
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("keeps an officer to their region", async () => {
    const refused = await api.graphql(
      FUNNEL,
      { from: monthKey(-1), to: monthKey(-1), regionCode: "31" },
      await bearer({ role: "OFFICER", region: "32" }),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("the funnel as a spreadsheet", () => {
  const csv = async (query: string, headers?: Record<string, string>) => {
    const response = await api.request(`/reports/registration-funnel.csv?${query}`, {
      headers: headers ?? (await bearer({ role: "ADMIN" })),
    });
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  };

  it("is the funnel's rows, with shares as Indonesian readers write them on request", async () => {
    const query = `from=${monthKey(-7)}&to=${monthKey(-7)}&regionCode=32.73`;
    const plain = await csv(query);
    expect(plain.status).toBe(200);
    expect(plain.type).toContain("text/csv");
    const [header, ...rows] = plain.text.replace("\uFEFF", "").trim().split("\r\n");
    expect(header).toBe(
      "registrationMonth;channel;registered;paidWithin30Days;paidLater;neverPaid;activeAt3;activeShare3;activeAt6;activeShare6;activeAt12;activeShare12",
    );
    // The first test's cohort: three Nyalakan registrations (one paid at once and stays), one sponsored.
    expect(rows[0]).toBe(`${monthKey(-7)};NYALAKAN;3;1;1;1;1;${1 / 3};1;${1 / 3};;`);
    const indonesian = await csv(`${query}&numbers=id&separator=,`);
    expect(indonesian.text).toContain(`${monthKey(-7)},NYALAKAN,3,1,1,1,1,"0,3333",1,"0,3333",,`);
    const byEcosystem = await csv(`${query}&by=ECOSYSTEM`);
    expect(byEcosystem.text.split("\r\n")[0]).toContain(";ecosystem;");
  });

  it("refuses what the query refuses, and callers the dashboard refuses", async () => {
    expect((await csv(`from=${monthKey(-1)}&to=${monthKey(1)}`)).status).toBe(400);
    expect((await csv(`from=${monthKey(-30)}&to=${monthKey(-1)}`)).status).toBe(400);
    expect((await csv(`from=${monthKey(-1)}&to=${monthKey(-1)}&by=SEGMENT`)).status).toBe(400);
    expect((await csv(`from=${monthKey(-1)}&to=${monthKey(-1)}&numbers=en`)).status).toBe(400);
    const officer = await bearer({ role: "OFFICER", region: "32" });
    expect((await csv(`from=${monthKey(-1)}&to=${monthKey(-1)}&regionCode=31`, officer)).status).toBe(403);
    expect(
      (await csv(`from=${monthKey(-1)}&to=${monthKey(-1)}`, await bearer({ role: "SPONSOR", sponsorId: 1 }))).status,
    ).toBe(403);
  });
});

describe.skipIf(process.env.TEST_DATABASE !== "postgres")("a funnel past its budget", () => {
  let narrow: TestApi;
  beforeAll(async () => {
    narrow = await startTestApi({ bindings: { REPORT_BUDGET_MS: "1000" } });
  });
  afterAll(async () => narrow?.close());

  it("is stopped by the database and answered with how to narrow it, in GraphQL and as a spreadsheet", async () => {
    const months = { from: monthKey(-12), to: monthKey(-1), by: "CHANNEL" };
    const holder = new pg.Client({ connectionString: String(narrow.env.DATABASE_URL) });
    await holder.connect();
    try {
      // Another transaction holds covered_months: the count waits past its budget, as a count of
      // the whole nation would run past it.
      await holder.query("begin");
      await holder.query("lock table covered_months in access exclusive mode");
      const answer = await narrow.graphql<{ registrationFunnel: Cohort[] }>(FUNNEL, months);
      expect(answer.errors?.[0]).toMatchObject({
        message:
          "Counting this ran past its budget of 1 s and was stopped: ask for fewer months, or a province or regency",
        extensions: { code: "BAD_USER_INPUT" },
      });
      const sheet = await narrow.request(`/reports/registration-funnel.csv?from=${months.from}&to=${months.to}`, {
        headers: await bearer({ role: "ADMIN" }),
      });
      expect(sheet.status).toBe(400);
      expect(await sheet.json()).toMatchObject({ error: { code: "BAD_USER_INPUT" } });
    } finally {
      await holder.query("rollback");
      await holder.end();
    }
    // Nothing is left behind: the same report answers once the count can run.
    expect(dataOf(await narrow.graphql<{ registrationFunnel: Cohort[] }>(FUNNEL, months)).registrationFunnel).toEqual(
      [],
    );
  });
});
