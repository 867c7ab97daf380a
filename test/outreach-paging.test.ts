import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OutreachList, outreachRange } from "../src/modules/outreach/rules";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { month } from "./testkit/dates";
import { givenParticipant, givenSponsor } from "./testkit/fixtures";

/**
 * Work lists page each part of the caller's scope (an officer's region, the workers they registered
 * themselves) from its own index and merge them. Every page, forwards, backwards and between two
 * cursors, must still be exactly the caller's list: each visible worker once, in order, and
 * `totalCount` the size of the whole list. The expected lists come from the rows this file
 * arranges and each caller's scope written out here, not from the API's own SQL.
 */
let api: TestApi;
interface Arranged {
  id: number;
  paidThrough: string | null;
  villageCode: string;
  sponsorId: number | null;
  registeredById: number | null;
  registeredBySubject: string | null;
}
const rows: Arranged[] = [];
const callers: { name: string; headers: Record<string, string>; sees: (row: Arranged) => boolean }[] = [];

// Paid-through months around TODAY's: lapsed, inactive, in grace, paid this month and ahead.
const months = [-6, -4, -3, -2, -1, 0, 1].map((offset) => month(offset));
const villages = ["31.71.01.1001", "31.74.02.1003", "32.73.01.1001", "31.71.01.1002"];

beforeAll(async () => {
  api = await startTestApi();
  const sponsor = (await givenSponsor(api.db, { name: "Paging Sponsor" })).id;
  const registrant = await givenParticipant(api.db, { fullName: "Paging Registrant", villageCode: "33.01.01.2001" });
  rows.push({ ...registrant, paidThrough: registrant.paidThrough });
  for (let i = 0; i < 70; i++) {
    const row = await givenParticipant(api.db, {
      fullName: `Worker ${i}`,
      paidThrough: i % 11 === 10 ? null : (months[(i * 5) % months.length] as string),
      villageCode: villages[i % villages.length] as string,
      ecosystemCode: i % 3 === 0 ? "VILLAGE" : "MARKET",
      sponsorId: i % 4 === 1 ? sponsor : null,
      registeredById: i % 6 === 2 ? registrant.id : null,
      // The officer and the sponsor also registered workers themselves, inside and outside their own scope.
      registeredBySubject: i % 5 === 0 ? "test-officer" : i % 7 === 3 ? "test-sponsor" : null,
    });
    rows.push(row);
  }
  const registeredBy = (subject: string) => (row: Arranged) => row.registeredBySubject === subject;
  callers.push(
    {
      name: "officer of 31",
      headers: await bearer({ role: "OFFICER", region: "31" }),
      sees: (row) => row.villageCode.startsWith("31.") || registeredBy("test-officer")(row),
    },
    {
      name: "officer of one village",
      headers: await bearer({ role: "OFFICER", region: "31.71.01.1001" }),
      sees: (row) => row.villageCode === "31.71.01.1001" || registeredBy("test-officer")(row),
    },
    {
      name: "sponsor",
      headers: await bearer({ role: "SPONSOR", sponsorId: sponsor }),
      sees: (row) => row.sponsorId === sponsor || registeredBy("test-sponsor")(row),
    },
    {
      name: "Nyalakan registrant",
      headers: await bearer({ role: "PARTICIPANT", participantId: registrant.id }),
      sees: (row) => row.id === registrant.id || row.registeredById === registrant.id,
    },
    {
      name: "partner reading participants",
      headers: await bearer({ role: "PARTNER", scopes: ["participants:read"] }),
      sees: () => true,
    },
    {
      name: "partner without participants:read",
      headers: await bearer({ role: "PARTNER", subject: "test-officer" }),
      sees: registeredBy("test-officer"),
    },
    { name: "ADMIN", headers: await bearer({ role: "ADMIN" }), sees: () => true },
  );
});
afterAll(async () => api?.close());

const LIST = `query ($list: OutreachList!, $first: Int, $after: String, $last: Int, $before: String) {
  outreachList(list: $list, withinDays: 31, lapsedWithinMonths: 6, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
interface Page {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
const rowIdOf = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);

async function page(headers: Record<string, string>, variables: Record<string, unknown>): Promise<Page> {
  return dataOf(await api.graphql<{ outreachList: Page }>(LIST, variables, headers)).outreachList;
}

/** The caller's list as this file arranged it: their workers in the list's months, most urgent first, village by village. */
function expectedList(sees: (row: Arranged) => boolean, list: OutreachList): number[] {
  const range = outreachRange(list, new Date(TODAY), { withinDays: 31, lapsedWithinMonths: 6 });
  if (!range) return [];
  const listed = rows.filter(
    (row) => sees(row) && row.paidThrough !== null && row.paidThrough >= range.from && row.paidThrough <= range.through,
  );
  const sign = range.order === "asc" ? 1 : -1;
  const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  listed.sort(
    (a, b) =>
      sign *
      (byBytes(a.paidThrough as string, b.paidThrough as string) ||
        byBytes(a.villageCode, b.villageCode) ||
        a.id - b.id),
  );
  return listed.map((row) => row.id);
}

const lists: OutreachList[] = ["DUE_SOON", "IN_GRACE", "WIN_BACK"];

describe("work list pages", () => {
  it("arranges lists that need several pages and both parts of a scope", () => {
    const officer = callers[0] as (typeof callers)[number];
    for (const list of lists) expect(expectedList(officer.sees, list).length).toBeGreaterThan(5);
    // Workers the officer registered outside their region, and inside it (counted once).
    expect(rows.some((row) => row.registeredBySubject === "test-officer" && !row.villageCode.startsWith("31."))).toBe(
      true,
    );
    expect(rows.some((row) => row.registeredBySubject === "test-officer" && row.villageCode.startsWith("31."))).toBe(
      true,
    );
  });

  it("walks every caller's list forwards and backwards, each worker once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: callers.length - 1 }),
        fc.constantFrom(...lists),
        fc.integer({ min: 1, max: 9 }),
        async (callerIndex, list, size) => {
          const caller = callers[callerIndex] as (typeof callers)[number];
          const expected = expectedList(caller.sees, list);
          const forwards: number[] = [];
          let after: string | null = null;
          for (let pages = 0; pages <= expected.length; pages++) {
            const answer: Page = await page(caller.headers, { list, first: size, after });
            expect(answer.totalCount).toBe(expected.length);
            forwards.push(...answer.edges.map((edge) => rowIdOf(edge.node.id)));
            if (!answer.pageInfo.hasNextPage) break;
            after = answer.pageInfo.endCursor;
          }
          expect(forwards, `${caller.name}, ${list}, first ${size}`).toEqual(expected);

          const backwards: number[][] = [];
          let before: string | null = null;
          for (let pages = 0; pages <= expected.length; pages++) {
            const answer: Page = await page(caller.headers, { list, last: size, before });
            backwards.unshift(answer.edges.map((edge) => rowIdOf(edge.node.id)));
            if (!answer.pageInfo.hasPreviousPage) break;
            before = answer.pageInfo.startCursor;
          }
          expect(backwards.flat(), `${caller.name}, ${list}, last ${size}`).toEqual(expected);
        },
      ),
      { numRuns: 12, seed: 20261125 },
    );
  });

  it("answers the rows between two cursors, from either end", async () => {
    const officer = callers[0] as (typeof callers)[number];
    const whole = await page(officer.headers, { list: "IN_GRACE", first: 100 });
    const expected = expectedList(officer.sees, "IN_GRACE");
    expect(whole.edges.map((edge) => rowIdOf(edge.node.id))).toEqual(expected);
    const after = whole.edges[1]?.cursor;
    const before = whole.edges[expected.length - 2]?.cursor;
    const between = expected.slice(2, -2);
    for (const ends of [{ first: 100 }, { last: 100 }, { first: 2 }, { last: 2 }]) {
      const answer = await page(officer.headers, { list: "IN_GRACE", after, before, ...ends });
      const want = "first" in ends ? between.slice(0, ends.first) : between.slice(-ends.last);
      expect(answer.edges.map((edge) => rowIdOf(edge.node.id))).toEqual(want);
    }
  });

  it("counts every scope and filter as many as the list holds", async () => {
    // A region's count comes from the coverage rollups, anything narrower from the index: both must
    // agree with the rows the list pages through.
    const regencyOfficer = await bearer({ role: "OFFICER", region: "31.71" });
    const districtOfficer = await bearer({ role: "OFFICER", region: "31.74.02" });
    const everyone = [...callers.map((caller) => caller.headers), regencyOfficer, districtOfficer];
    const filters = [
      {},
      { ecosystem: "VILLAGE" },
      { segment: "BPU", status: "GRACE" },
      { regionCode: "31.71" },
      { regionCode: "31.71.01.1002" },
      { regionCode: "32" },
      { regionCode: "31.74.02", ecosystem: "MARKET" },
      { search: "worker 1" },
    ];
    let counted = 0;
    for (const headers of everyone) {
      for (const filter of filters) {
        for (const list of lists) {
          const answer = dataOf(
            await api.graphql<{ outreachList: Page }>(
              `query ($list: OutreachList!, $filter: ParticipantFilter) {
                outreachList(list: $list, withinDays: 31, lapsedWithinMonths: 6, first: 100, filter: $filter) {
                  totalCount edges { node { id } } } }`,
              { list, filter },
              headers,
            ),
          ).outreachList;
          expect(answer.totalCount, JSON.stringify({ list, filter })).toBe(answer.edges.length);
          counted += answer.totalCount;
        }
      }
    }
    expect(counted).toBeGreaterThan(100);
  });

  it("reads a page and its count in two statements", async () => {
    const officer = callers[0] as (typeof callers)[number];
    const first = await page(officer.headers, { list: "DUE_SOON", first: 3 });
    api.statements.length = 0;
    await page(officer.headers, { list: "DUE_SOON", first: 3, after: first.pageInfo.endCursor });
    expect(api.statements.filter((statement) => /\bparticipants\b/.test(statement))).toHaveLength(2);
  });

  it("answers a cursor no list issued as bad input, and pages of 0", async () => {
    const officer = callers[0] as (typeof callers)[number];
    const participantsCursor = Buffer.from("DC:N:42").toString("base64");
    for (const cursor of [Buffer.from('DC:J:["not a month",1]').toString("base64"), participantsCursor, "garbage"]) {
      for (const variables of [
        { first: 5, after: cursor },
        { last: 5, before: cursor },
      ]) {
        const answer = await api.graphql(LIST, { list: "IN_GRACE", ...variables }, officer.headers);
        expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        expect(answer.errors?.[0]?.message).toMatch(
          /^outreachList\.(after|before): this cursor was not issued by this list/,
        );
        expect(answer.data ?? null).toBeNull();
      }
    }
    const empty = await page(officer.headers, { list: "IN_GRACE", first: 0 });
    expect(empty.edges).toEqual([]);
    expect(empty.totalCount).toBe(expectedList(officer.sees, "IN_GRACE").length);
  });
});
