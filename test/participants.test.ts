import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { seedDemoData } from "../scripts/seed/demo";
import { dataOf, startTestApi, type TestApi } from "./testkit/api";
import { at, daysFromToday, lastDateOf, month, monthKey, TODAY } from "./testkit/dates";
import { givenParticipant, givenSettledPayment, givenSponsor } from "./testkit/fixtures";

let api: TestApi;
const ids: Record<string, string> = {};

type Page = {
  participants: {
    totalCount: number;
    nodes: { id: string; fullName: string; status: string }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

async function names(filter: Record<string, unknown>, orderBy = "FULL_NAME_ASC"): Promise<string[]> {
  const page = dataOf(
    await api.graphql<Page>(
      `query ($filter: ParticipantFilter, $orderBy: ParticipantOrder!) {
        participants(first: 50, filter: $filter, orderBy: $orderBy) {
          totalCount nodes { fullName }
        }
      }`,
      { filter, orderBy },
    ),
  );
  expect(page.participants.totalCount).toBe(page.participants.nodes.length);
  return page.participants.nodes.map((n) => n.fullName);
}

beforeAll(async () => {
  api = await startTestApi(); // today is TODAY; every date below is relative to it
  const sponsor = await givenSponsor(api.db, { name: "PT Sejahtera Nusantara" });
  ids.sponsor = Buffer.from(`Sponsor:${sponsor.id}`).toString("base64");
  // Active: paid through this month, in Jakarta Pusat, sponsored.
  const ani = await givenParticipant(api.db, {
    fullName: "Ani Lestari",
    villageCode: "31.71.01.1001",
    ecosystemCode: "VULNERABLE_WORKERS",
    sponsorId: sponsor.id,
    programs: ["JKK", "JKM"],
    paidThrough: month(0),
    registeredAt: at(-2, 10),
  });
  for (const paid of [month(-2), month(-1), month(0)]) {
    await givenSettledPayment(api.db, ani.id, paid, { payer: "SPONSOR", payerSponsorId: sponsor.id });
  }
  ids.ani = Buffer.from(`Participant:${ani.id}`).toString("base64");
  // Grace: paid through two months ago (two unpaid months), in Bandung, registered by Ani (Nyalakan).
  await givenParticipant(api.db, {
    fullName: "Budi Santoso",
    villageCode: "32.73.01.1001",
    ecosystemCode: "VILLAGE",
    registeredById: ani.id,
    paidThrough: month(-2),
    registeredAt: at(-8, 1),
  });
  // Inactive: paid through three months ago (three unpaid months), a PU worker in Jakarta Pusat.
  await givenParticipant(api.db, {
    fullName: "Citra Dewi",
    villageCode: "31.71.02.1001",
    ecosystemCode: "UMKM",
    segment: "PU",
    reportedMonthlyIncome: 5_000_000n,
    paidThrough: month(-3),
    registeredAt: at(-22, 20),
  });
  // Pending: never paid, registered yesterday in WIB at 03:00 (20:00 UTC the day before that).
  await givenParticipant(api.db, {
    fullName: "Dedi Kurniawan",
    villageCode: "32.73.01.1002",
    ecosystemCode: "ECOMMERCE",
    registeredAt: new Date(`${daysFromToday(-1)}T03:00:00+07:00`).toISOString(),
  });
});

afterAll(async () => api?.close());

describe("participant", () => {
  it("answers one participant with its ecosystem, region, sponsor, referrer and newest payments", async () => {
    const { participant } = dataOf(
      await api.graphql<{ participant: Record<string, unknown> }>(
        `query ($id: ID!) {
          participant(id: $id) {
            id fullName nik status paidThrough monthsInArrears segment programs reportedMonthlyIncome
            ecosystem { code name } region { code name level parent { code level } }
            sponsor { id name } registeredBy { id }
            payments(first: 2) { totalCount nodes { coverageFrom amount payer lines { program monthlyAmount amount } } }
          }
        }`,
        { id: ids.ani },
      ),
    );
    expect(participant).toMatchObject({
      id: ids.ani,
      fullName: "Ani Lestari",
      status: "ACTIVE",
      paidThrough: monthKey(0),
      monthsInArrears: 0,
      segment: "BPU",
      programs: ["JKK", "JKM"],
      reportedMonthlyIncome: "1000000",
      ecosystem: { code: "VULNERABLE_WORKERS", name: "Pekerja Rentan" },
      region: { code: "31.71.01.1001", level: "VILLAGE", parent: { code: "31.71.01", level: "DISTRICT" } },
      sponsor: { id: ids.sponsor, name: "PT Sejahtera Nusantara" },
      registeredBy: null,
      payments: {
        totalCount: 3,
        nodes: [
          { coverageFrom: monthKey(0), amount: "36800", payer: "SPONSOR" },
          { coverageFrom: monthKey(-1), amount: "36800", payer: "SPONSOR" },
        ],
      },
    });
  });

  it("is null for an id that names no participant, and an error for an id that is not one", async () => {
    const missing = Buffer.from("Participant:999999").toString("base64");
    expect(dataOf(await api.graphql(`{ participant(id: "${missing}") { id } }`))).toEqual({ participant: null });
    const sponsorId = await api.graphql(`query ($id: ID!) { participant(id: $id) { id } }`, { id: ids.sponsor });
    expect(sponsorId.errors?.[0]?.message).toMatch(/Participant/);
    const garbage = await api.graphql(`{ participant(id: "not-an-id") { id } }`);
    expect(garbage.status).toBe(200);
    expect(garbage.errors?.length).toBe(1);
  });

  it("is reachable as a Relay node", async () => {
    const data = dataOf(
      await api.graphql<{ node: { __typename: string; fullName: string } }>(
        `query ($id: ID!) { node(id: $id) { __typename ... on Participant { fullName } } }`,
        { id: ids.ani },
      ),
    );
    expect(data.node).toEqual({ __typename: "Participant", fullName: "Ani Lestari" });
  });
});

describe("participants", () => {
  it("filters by status against today's month", async () => {
    expect(await names({ status: "ACTIVE" })).toEqual(["Ani Lestari"]);
    expect(await names({ status: "GRACE" })).toEqual(["Budi Santoso"]);
    expect(await names({ status: "INACTIVE" })).toEqual(["Citra Dewi"]);
    expect(await names({ status: "PENDING" })).toEqual(["Dedi Kurniawan"]);
  });

  it("filters by region at every level", async () => {
    expect(await names({ regionCode: "31" })).toEqual(["Ani Lestari", "Citra Dewi"]);
    expect(await names({ regionCode: "32.73" })).toEqual(["Budi Santoso", "Dedi Kurniawan"]);
    expect(await names({ regionCode: "31.71.02" })).toEqual(["Citra Dewi"]);
    expect(await names({ regionCode: "32.73.01.1002" })).toEqual(["Dedi Kurniawan"]);
    expect(await names({ regionCode: "33" })).toEqual([]);
  });

  it("filters by ecosystem, segment, sponsor, registration dates and search", async () => {
    expect(await names({ ecosystem: "UMKM" })).toEqual(["Citra Dewi"]);
    expect(await names({ segment: "PU" })).toEqual(["Citra Dewi"]);
    expect(await names({ sponsorId: ids.sponsor })).toEqual(["Ani Lestari"]);
    expect(await names({ registeredFrom: daysFromToday(-1), registeredTo: daysFromToday(-1) })).toEqual([
      "Dedi Kurniawan",
    ]);
    // Ani (two months ago) and Budi (eight), not Citra (almost two years ago) nor Dedi (yesterday).
    expect(await names({ registeredFrom: month(-10), registeredTo: lastDateOf(-2) })).toEqual([
      "Ani Lestari",
      "Budi Santoso",
    ]);
    expect(await names({ search: "bud" })).toEqual(["Budi Santoso"]);
    expect(await names({ search: "100%" })).toEqual([]);
    expect(await names({ ecosystem: "VILLAGE", status: "GRACE", regionCode: "32" })).toEqual(["Budi Santoso"]);
  });

  it("orders and pages with cursors in both directions", async () => {
    expect(await names({}, "REGISTERED_AT_DESC")).toEqual([
      "Dedi Kurniawan",
      "Ani Lestari",
      "Budi Santoso",
      "Citra Dewi",
    ]);
    const first = dataOf(
      await api.graphql<Page>(
        `{ participants(first: 3, orderBy: FULL_NAME_ASC) { totalCount nodes { fullName } pageInfo { hasNextPage endCursor } } }`,
      ),
    );
    expect(first.participants.nodes.map((n) => n.fullName)).toEqual(["Ani Lestari", "Budi Santoso", "Citra Dewi"]);
    expect(first.participants.pageInfo.hasNextPage).toBe(true);
    const next = dataOf(
      await api.graphql<Page>(
        `query ($after: String) { participants(first: 3, after: $after, orderBy: FULL_NAME_ASC) { totalCount nodes { fullName } pageInfo { hasNextPage endCursor } } }`,
        { after: first.participants.pageInfo.endCursor },
      ),
    );
    expect(next.participants.nodes.map((n) => n.fullName)).toEqual(["Dedi Kurniawan"]);
    expect(next.participants.pageInfo.hasNextPage).toBe(false);
    expect(next.participants.totalCount).toBe(4);
    const last = dataOf(
      await api.graphql<Page>(`{ participants(last: 2, orderBy: FULL_NAME_ASC) { totalCount nodes { fullName } } }`),
    );
    expect(last.participants.nodes.map((n) => n.fullName)).toEqual(["Citra Dewi", "Dedi Kurniawan"]);
  });

  it("answers a cursor no connection issued (forged, or another connection's) as bad input", async () => {
    const cursor = (text: string) => Buffer.from(text).toString("base64");
    const nameCursor = dataOf(
      await api.graphql<Page>(`{ participants(first: 1, orderBy: FULL_NAME_ASC) { pageInfo { endCursor } } }`),
    ).participants.pageInfo.endCursor;
    const cases = [
      // Undecodable; a name where a registration time goes; a date where a name and id go; an id that is no number.
      ["participants", "after", "not-a-cursor", "REGISTERED_AT_DESC"],
      ["participants", "after", nameCursor, "REGISTERED_AT_DESC"],
      ["participants", "before", cursor('DC:T:["S:2026-01-01","S:x"]'), "FULL_NAME_ASC"],
      ["payments", "after", cursor("DC:S:forty-two"), null],
    ] as const;
    const unexpected = vi.spyOn(console, "error");
    for (const [connection, argument, value, orderBy] of cases) {
      const page = argument === "after" ? "first: 2" : "last: 2";
      const order = orderBy ? `, orderBy: ${orderBy}` : "";
      const response = await api.graphql(
        `query ($cursor: String) { ${connection}(${page}, ${argument}: $cursor${order}) { nodes { id } } }`,
        { cursor: value },
      );
      expect(response.data ?? null, `${connection} ${value}`).toBeNull();
      expect(response.errors?.[0]?.extensions?.code, `${connection} ${value}`).toBe("BAD_USER_INPUT");
      expect(response.errors?.[0]?.message).toBe(`${connection}.${argument}: this cursor was not issued by this list.`);
    }
    // Not logged as the API's own failure.
    expect(unexpected).not.toHaveBeenCalled();
    unexpected.mockRestore();
  });

  it("rejects bad filters with a clear error instead of a partial answer", async () => {
    for (const [filter, message] of [
      [{ regionCode: "31.7" }, /Kemendagri/],
      [{ search: "a" }, /at least 2/],
      [{ registeredFrom: "2026-02-30" }, /real calendar date/],
    ] as const) {
      const response = await api.graphql(
        `query ($filter: ParticipantFilter) { participants(first: 5, filter: $filter) { totalCount } }`,
        {
          filter,
        },
      );
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.[0]?.message).toMatch(message);
    }
  });
});

describe("a page of 100 participants with everything a list screen shows", () => {
  it("costs one SQL statement, totalCount included (the read planner counts in the same statement)", async () => {
    await seedDemoData(api.db, { participants: 150, now: new Date(TODAY), seed: 7, force: true });
    const query = (withCount: boolean) => `{
      participants(first: 100, orderBy: REGISTERED_AT_DESC) {
        ${withCount ? "totalCount" : ""}
        nodes {
          id nik fullName status paidThrough
          ecosystem { code name } region { code name } sponsor { id name }
          payments(first: 3) { nodes { id amount status coverageFrom } }
        }
      }
    }`;
    for (const withCount of [false, true]) {
      api.statements.length = 0;
      const data = dataOf(await api.graphql<Page>(query(withCount)));
      expect(data.participants.nodes).toHaveLength(100);
      expect(api.statements).toHaveLength(1);
    }
  });
});
