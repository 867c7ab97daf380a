/**
 * Issue 29, finding 9: outreach's contract. A cursor is its list's own (another list refuses it,
 * as the README says), and an id of the wrong type in `recordOutreach` is NOT_FOUND like any id
 * that names no worker, not a GraphQL type error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { month } from "./testkit/dates";
import { givenParticipant, givenSponsor } from "./testkit/fixtures";

let api: TestApi;
let admin: Record<string, string>;
const gid = (type: string, id: number | string) => Buffer.from(`${type}:${id}`).toString("base64");

beforeAll(async () => {
  api = await startTestApi();
  admin = await bearer({ role: "ADMIN" });
  // Two workers on each list: paid through last month or the one before (in grace), three months
  // ago (lapsed this month: win back), this month or next (due within the quarter).
  for (const offset of [-1, -2, -3, -3, 0, 1]) {
    await givenParticipant(api.db, { fullName: `Worker ${offset}`, paidThrough: month(offset) });
  }
});
afterAll(async () => {
  await api?.close();
});

const LIST = `query ($list: OutreachList!, $first: Int, $after: String, $last: Int, $before: String) {
  outreachList(list: $list, withinDays: 92, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { endCursor }
  }
}`;
type Listed = { outreachList: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { endCursor: string } } };

async function firstCursor(list: string): Promise<string> {
  const page = dataOf(await api.graphql<Listed>(LIST, { list, first: 1 }, admin));
  const cursor = page.outreachList.pageInfo.endCursor;
  expect(cursor, list).toBeTruthy();
  return cursor;
}

describe("outreach list cursors (finding 9)", () => {
  it("are refused by every list but the one that issued them", async () => {
    const lists = ["DUE_SOON", "IN_GRACE", "WIN_BACK"];
    for (const issuer of lists) {
      const cursor = await firstCursor(issuer);
      // Its own list pages on from it.
      const next = dataOf(await api.graphql<Listed>(LIST, { list: issuer, first: 5, after: cursor }, admin));
      expect(next.outreachList.edges.length, issuer).toBeGreaterThan(0);
      for (const other of lists.filter((list) => list !== issuer)) {
        for (const [variables, field] of [
          [{ first: 5, after: cursor }, "after"],
          [{ last: 5, before: cursor }, "before"],
        ] as const) {
          const answer = await api.graphql<Listed>(LIST, { list: other, ...variables }, admin);
          expect(answer.data?.outreachList ?? null, `${issuer} → ${other}`).toBeNull();
          expect(answer.errors?.[0], `${issuer} → ${other}`).toMatchObject({
            message: `outreachList.${field}: this cursor was not issued by this list.`,
            extensions: { code: "BAD_USER_INPUT" },
          });
        }
      }
    }
  });
});

describe("recordOutreach with an id that names no worker (finding 9)", () => {
  const RECORD = `mutation ($input: RecordOutreachInput!) {
    recordOutreach(input: $input) { outreach { channel } userErrors { field code } }
  }`;
  type Recorded = { recordOutreach: { outreach: { channel: string } | null; userErrors: unknown[] } };

  it("answers NOT_FOUND for another type's id, as for an unknown one", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Bukan Pekerja" });
    for (const participantId of [gid("Sponsor", sponsor.id), gid("Payment", 1), gid("Participant", 999_999)]) {
      const answer = await api.graphql<Recorded>(
        RECORD,
        { input: { participantId, channel: "VISIT", outcome: "REACHED" } },
        admin,
      );
      expect(answer.errors, participantId).toBeUndefined();
      expect(dataOf(answer).recordOutreach, participantId).toEqual({
        outreach: null,
        userErrors: [{ field: ["input", "participantId"], code: "NOT_FOUND" }],
      });
    }
    const worker = await givenParticipant(api.db, { fullName: "Reached Worker", paidThrough: month(-1) });
    const recorded = await api.graphql<Recorded>(
      RECORD,
      { input: { participantId: gid("Participant", worker.id), channel: "VISIT", outcome: "REACHED" } },
      admin,
    );
    expect(dataOf(recorded).recordOutreach).toEqual({ outreach: { channel: "VISIT" }, userErrors: [] });
  });
});
