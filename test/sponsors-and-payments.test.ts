import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, lastDateOf, month, monthKey } from "./testkit/dates";
import { givenParticipant, givenSettledPayment, givenSponsor, givenSponsorship } from "./testkit/fixtures";

let api: TestApi;
const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startTestApi();
  const company = await givenSponsor(api.db, { name: "PT Sejahtera Nusantara" });
  const ngo = await givenSponsor(api.db, { name: "Yayasan Peduli Pekerja", kind: "NGO" });
  await givenSponsorship(api.db, company.id);
  ids.company = globalId("Sponsor", company.id);
  ids.ngo = globalId("Sponsor", ngo.id);
  const worker = await givenParticipant(api.db, { fullName: "Ani Lestari", sponsorId: company.id });
  ids.worker = globalId("Participant", worker.id);
  const self = await givenParticipant(api.db, { fullName: "Budi Santoso" });
  // Last month's two settled payments, and this month's failed one (created at TODAY): newest first.
  await givenSettledPayment(api.db, worker.id, month(-1), {
    payer: "SPONSOR",
    payerSponsorId: company.id,
    channel: "BRIVA",
  });
  await givenSettledPayment(api.db, self.id, month(-1), { channel: "GOPAY", createdAt: at(-1, 20, "09:00") });
  const failed = await givenSettledPayment(api.db, self.id, month(0), {
    status: "FAILED",
    settledAt: null,
    channel: "GOPAY",
    createdAt: TODAY,
  });
  ids.failed = globalId("Payment", failed.id);
});
afterAll(async () => api?.close());

describe("sponsors", () => {
  it("lists sponsors by name with their sponsorships", async () => {
    const { sponsors } = dataOf(
      await api.graphql<{
        sponsors: {
          totalCount: number;
          nodes: { name: string; kind: string; sponsorships: { budget: string; programs: string[] }[] }[];
        };
      }>(
        `{ sponsors(first: 10) { totalCount nodes { name kind sponsorships { budget spent programs monthsPerPeriod startsOn } } } }`,
      ),
    );
    expect(sponsors.totalCount).toBe(2);
    expect(sponsors.nodes.map((s) => s.name)).toEqual(["PT Sejahtera Nusantara", "Yayasan Peduli Pekerja"]);
    expect(sponsors.nodes[0]?.sponsorships).toEqual([
      // givenSponsorship's period starts twelve months before TODAY's month.
      { budget: "20160000", spent: "0", programs: ["JKK", "JKM"], monthsPerPeriod: 1, startsOn: month(-12) },
    ]);
  });

  it("answers one sponsor by id", async () => {
    const data = dataOf(
      await api.graphql<{ sponsor: { name: string } }>(`query ($id: ID!) { sponsor(id: $id) { name kind } }`, {
        id: ids.ngo,
      }),
    );
    expect(data.sponsor).toEqual({ name: "Yayasan Peduli Pekerja", kind: "NGO" });
  });
});

describe("payments", () => {
  it("lists payments newest first, filtered by status, channel, participant, payer and dates", async () => {
    const list = async (filter: Record<string, unknown>) => {
      const data = dataOf(
        await api.graphql<{
          payments: {
            totalCount: number;
            nodes: { channel: string; status: string; participant: { fullName: string } }[];
          };
        }>(
          `query ($filter: PaymentFilter) { payments(first: 10, filter: $filter) { totalCount nodes { channel status amount participant { fullName } } } }`,
          { filter },
        ),
      );
      expect(data.payments.totalCount).toBe(data.payments.nodes.length);
      return data.payments.nodes.map((p) => `${p.participant.fullName}/${p.channel}/${p.status}`);
    };
    expect(await list({})).toEqual([
      "Budi Santoso/GOPAY/FAILED",
      "Budi Santoso/GOPAY/SETTLED",
      "Ani Lestari/BRIVA/SETTLED",
    ]);
    expect(await list({ status: "FAILED" })).toEqual(["Budi Santoso/GOPAY/FAILED"]);
    expect(await list({ channel: "BRIVA" })).toEqual(["Ani Lestari/BRIVA/SETTLED"]);
    expect(await list({ participantId: ids.worker })).toEqual(["Ani Lestari/BRIVA/SETTLED"]);
    expect(await list({ payerSponsorId: ids.company })).toEqual(["Ani Lestari/BRIVA/SETTLED"]);
    expect(await list({ payerSponsorId: ids.ngo })).toEqual([]);
    expect(await list({ createdFrom: month(0), createdTo: lastDateOf(0) })).toEqual(["Budi Santoso/GOPAY/FAILED"]);
  });

  it("answers one payment with its per-program breakdown", async () => {
    const data = dataOf(
      await api.graphql<{ payment: Record<string, unknown> }>(
        `query ($id: ID!) { payment(id: $id) { status months coverageFrom coverageThrough amount payer payerSponsor { name } settledAt lines { program monthlyAmount amount } } }`,
        { id: ids.failed },
      ),
    );
    expect(data.payment).toEqual({
      status: "FAILED",
      months: 1,
      coverageFrom: monthKey(0),
      coverageThrough: monthKey(0),
      amount: "36800",
      payer: "SELF",
      payerSponsor: null,
      settledAt: null,
      lines: [
        { program: "JKK", monthlyAmount: "10000", amount: "10000" },
        { program: "JKM", monthlyAmount: "6800", amount: "6800" },
        { program: "JHT", monthlyAmount: "20000", amount: "20000" },
      ],
    });
  });
});
