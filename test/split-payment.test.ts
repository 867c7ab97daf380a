import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, startTestApi, type TestApi } from "./testkit/api";
import { lastDateOf, month } from "./testkit/dates";
import { givenSponsor } from "./testkit/fixtures";
import { gid, newKey, notify } from "./testkit/payments";

/**
 * Split payment (#32 item 4): a sponsor pays JKK + JKM for a worker who also joined JHT, and the
 * worker pays JHT themselves for the same months. Coverage is kept per program: JKK and JKM decide
 * whether a month counts (status, paidThrough, the dashboard), JHT is covered only where its part
 * was paid, and a part never tops up a month whose JKK and JKM nobody paid.
 */
let api: TestApi;
type Errors = { field: string[] | null; code: string; message: string }[];
/** A month as the `Month` scalar shows it (YYYY-MM). */
const monthOf = (offset: number) => month(offset).slice(0, 7);
const fromGid = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);

const PAY = `mutation ($input: PayContributionInput!) {
  payContribution(input: $input) {
    payment { id status amount months coverageFrom coverageThrough refundedAmount lines { program monthlyAmount amount } }
    userErrors { field code message }
  }
}`;
type Payment = {
  id: string;
  status: string;
  amount: string;
  months: number;
  coverageFrom: string;
  coverageThrough: string;
  refundedAmount: string | null;
  lines: { program: string; monthlyAmount: string; amount: string }[];
};

async function payPart(participantId: number, months: number, programs: string[] | null, key = newKey()) {
  return dataOf(
    await api.graphql<{ payContribution: { payment: Payment | null; userErrors: Errors } }>(PAY, {
      input: {
        participantId: gid("Participant", participantId),
        months,
        channel: "BRIVA",
        idempotencyKey: key,
        ...(programs ? { programs } : {}),
      },
    }),
  ).payContribution;
}

async function settle(payment: Payment) {
  const settled = await notify(api, {
    reference: `SPLIT-${newKey()}`,
    paymentId: payment.id,
    status: "SETTLED",
    amount: payment.amount,
  });
  expect(settled.status).toBe(200);
}

type Coverage = {
  status: string;
  paidThrough: string | null;
  programsPaidThrough: { program: string; paidThrough: string | null; countsTowardActive: boolean }[];
};
async function coverage(participantId: number): Promise<Coverage> {
  return dataOf(
    await api.graphql<{ participant: Coverage }>(
      `query ($id: ID!) { participant(id: $id) { status paidThrough programsPaidThrough { program paidThrough countsTowardActive } } }`,
      { id: gid("Participant", participantId) },
    ),
  ).participant;
}

/** A sponsorship paying JKK + JKM, with one worker who also joined JHT; returns both ids. */
async function sponsoredWorkerWithJht(nik: string) {
  const sponsor = await givenSponsor(api.db, { name: `PT Berbagi ${nik.slice(-4)}` });
  const created = dataOf(
    await api.graphql<{ createSponsorship: { sponsorship: { id: string } | null; userErrors: Errors } }>(
      `mutation ($input: CreateSponsorshipInput!) { createSponsorship(input: $input) { sponsorship { id } userErrors { field code message } } }`,
      {
        input: {
          sponsorId: gid("Sponsor", sponsor.id),
          programs: ["JKK", "JKM"],
          monthsPerPeriod: 1,
          maxParticipants: 10,
          budget: "5000000",
          startsOn: month(-1),
          endsOn: lastDateOf(12),
        },
      },
    ),
  ).createSponsorship;
  const sponsorshipId = created.sponsorship?.id ?? "";
  const enrolled = dataOf(
    await api.graphql<{
      enrollSponsoredParticipants: { created: number; rows: { participantId: string }[]; userErrors: Errors };
    }>(
      `mutation ($input: EnrollSponsoredParticipantsInput!) {
        enrollSponsoredParticipants(input: $input) { created rows { participantId } userErrors { field code message } } }`,
      {
        input: {
          sponsorshipId,
          idempotencyKey: newKey(),
          participants: [
            {
              nik,
              fullName: "Pekerja Berbagi Iuran",
              segment: "BPU",
              occupation: "Buruh harian",
              ecosystem: "VULNERABLE_WORKERS",
              villageCode: "32.73.01.1001",
              reportedMonthlyIncome: "1000000",
              programs: ["JKK", "JKM", "JHT"],
            },
          ],
        },
      },
    ),
  ).enrollSponsoredParticipants;
  // A worker may join JHT on a JKK + JKM sponsorship: JHT is their own part.
  expect(enrolled.userErrors).toEqual([]);
  expect(enrolled.created).toBe(1);
  return { sponsorshipId, workerId: fromGid(enrolled.rows[0]?.participantId ?? "") };
}

async function payBatch(sponsorshipId: string, months: number) {
  const paid = dataOf(
    await api.graphql<{
      paySponsoredContributions: {
        batch: { id: string; total: string; payments: { nodes: { id: string; amount: string }[] } } | null;
        userErrors: Errors;
      };
    }>(
      `mutation ($input: PaySponsoredContributionsInput!) {
        paySponsoredContributions(input: $input) { batch { id total payments(first: 5) { nodes { id amount } } } userErrors { field code message } } }`,
      { input: { sponsorshipId, months, channel: "BRIVA", idempotencyKey: newKey() } },
    ),
  ).paySponsoredContributions;
  expect(paid.userErrors).toEqual([]);
  const batch = paid.batch;
  if (!batch) throw new Error("no batch");
  const settled = dataOf(
    await api.graphql<{ settlePaymentBatch: { userErrors: Errors } }>(
      `mutation ($input: SettlePaymentBatchInput!) { settlePaymentBatch(input: $input) { userErrors { field code message } } }`,
      { input: { batchId: batch.id, outcome: "SETTLED", amount: batch.total } },
    ),
  ).settlePaymentBatch;
  expect(settled.userErrors).toEqual([]);
  return batch;
}

async function paymentCount() {
  const [row] = (
    (await api.db.execute(sql`select count(*)::int as n from payments`)) as unknown as { rows: { n: number }[] }
  ).rows;
  return row?.n ?? 0;
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

describe("a quote split between a sponsor and the worker", () => {
  const QUOTE = `query ($input: ContributionQuoteInput!) {
    quoteContribution(input: $input) {
      quote { total parts { payer programs total monthlyTotal } }
      userErrors { field code }
    }
  }`;
  type Quote = {
    quote: {
      total: string;
      parts: { payer: string; programs: string[]; total: string; monthlyTotal: string }[];
    } | null;
    userErrors: { field: string[]; code: string }[];
  };
  const quote = async (input: Record<string, unknown>) =>
    dataOf(
      await api.graphql<{ quoteContribution: Quote }>(QUOTE, {
        input: {
          segment: "BPU",
          reportedMonthlyIncome: "1000000",
          programs: ["JKK", "JKM", "JHT"],
          months: 3,
          ...input,
        },
      }),
    ).quoteContribution;

  it("shows each payer's part, adding up to the total", async () => {
    // Rp1,000,000 a month: JKK 1% (10,000) + JKM 6,800 for the sponsor; JHT 2% (20,000) for the worker.
    const split = await quote({ sponsoredPrograms: ["JKK", "JKM"] });
    expect(split.userErrors).toEqual([]);
    expect(split.quote).toEqual({
      total: "110400",
      parts: [
        { payer: "SPONSOR", programs: ["JKK", "JKM"], total: "50400", monthlyTotal: "16800" },
        { payer: "WORKER", programs: ["JHT"], total: "60000", monthlyTotal: "20000" },
      ],
    });
    // Nobody sponsoring: one part, the worker's, for everything.
    const alone = await quote({});
    expect(alone.quote?.parts).toEqual([
      { payer: "WORKER", programs: ["JKK", "JKM", "JHT"], total: "110400", monthlyTotal: "36800" },
    ]);
  });

  it("refuses a sponsor part without JKK and JKM, or with a program not quoted", async () => {
    const jhtOnly = await quote({ sponsoredPrograms: ["JHT"] });
    expect(jhtOnly.quote).toBeNull();
    expect(jhtOnly.userErrors).toEqual([{ field: ["input", "sponsoredPrograms"], code: "PROGRAMS_SPLIT" }]);
    const foreign = await quote({ programs: ["JKK", "JKM"], sponsoredPrograms: ["JKK", "JKM", "JHT"] });
    expect(foreign.userErrors).toEqual([{ field: ["input", "sponsoredPrograms"], code: "PROGRAMS_SPLIT" }]);
  });
});

describe("split payment of one worker's months", () => {
  it("covers JKK + JKM from the sponsor and JHT from the worker, each program only where paid", async () => {
    const { sponsorshipId, workerId } = await sponsoredWorkerWithJht("3171011203850001");
    const start = await coverage(workerId);
    expect(start.programsPaidThrough).toEqual([
      { program: "JKK", paidThrough: null, countsTowardActive: true },
      { program: "JKM", paidThrough: null, countsTowardActive: true },
      { program: "JHT", paidThrough: null, countsTowardActive: false },
    ]);

    // The worker's JHT cannot go ahead of the sponsor: no month has JKK and JKM paid yet.
    const early = await payPart(workerId, 1, ["JHT"]);
    expect(early.payment).toBeNull();
    expect(early.userErrors).toMatchObject([{ field: ["input", "months"], code: "PART_AHEAD_OF_COVERAGE" }]);

    // The sponsor's batch pays its part only: JKK + JKM, Rp16,800, not the worker's JHT.
    const batch = await payBatch(sponsorshipId, 1);
    expect(batch.total).toBe("16800");
    const sponsored = await coverage(workerId);
    expect(sponsored.status).toBe("ACTIVE");
    expect(sponsored.paidThrough).toBe(monthOf(0));
    expect(sponsored.programsPaidThrough.map((p) => [p.program, p.paidThrough])).toEqual([
      ["JKK", monthOf(0)],
      ["JKM", monthOf(0)],
      ["JHT", null],
    ]);

    // The worker's part: JHT for this month, Rp20,000.
    const part = await payPart(workerId, 1, ["JHT"]);
    expect(part.userErrors).toEqual([]);
    expect(part.payment).toMatchObject({
      status: "PENDING",
      amount: "20000",
      coverageFrom: monthOf(0),
      coverageThrough: monthOf(0),
      lines: [{ program: "JHT", monthlyAmount: "20000", amount: "20000" }],
    });
    await settle(part.payment as Payment);
    const topped = await coverage(workerId);
    expect(topped.paidThrough).toBe(monthOf(0)); // a part moves no paid-through
    expect(topped.programsPaidThrough.map((p) => [p.program, p.paidThrough])).toEqual([
      ["JKK", monthOf(0)],
      ["JKM", monthOf(0)],
      ["JHT", monthOf(0)],
    ]);
    // Each program-month has exactly one payer.
    const rows = (
      (await api.db.execute(sql`
        select pm.program::text as program, pm.month::text as month, p.payer::text as payer
        from program_months pm join payments p on p.id = pm.payment_id
        where pm.participant_id = ${workerId} order by pm.program, pm.month`)) as unknown as {
        rows: { program: string; month: string; payer: string }[];
      }
    ).rows;
    expect(rows).toEqual([
      { program: "JKK", month: month(0), payer: "SPONSOR" },
      { program: "JKM", month: month(0), payer: "SPONSOR" },
      { program: "JHT", month: month(0), payer: "SELF" },
    ]);

    // JHT is paid for every month JKK and JKM are: a second part has nothing to top up.
    const again = await payPart(workerId, 1, ["JHT"]);
    expect(again.userErrors.map((e) => e.code)).toEqual(["PART_AHEAD_OF_COVERAGE"]);
  });

  it("refuses payments that split JKK from JKM or name programs not joined, writing nothing", async () => {
    const { workerId } = await sponsoredWorkerWithJht("3171011203850002");
    const before = await paymentCount();
    const cases: [string[], string][] = [
      [["JKK"], "PROGRAMS_SPLIT"],
      [["JKM", "JHT"], "PROGRAMS_SPLIT"],
      [["JP"], "PROGRAMS_SPLIT"],
      [["JHT", "JHT"], "DUPLICATE_PROGRAM"],
    ];
    for (const [programs, code] of cases) {
      const refused = await payPart(workerId, 1, programs);
      expect(refused.payment).toBeNull();
      expect(refused.userErrors).toMatchObject([{ field: ["input", "programs"], code }]);
    }
    const empty = await api.graphql(PAY, {
      input: {
        participantId: gid("Participant", workerId),
        months: 1,
        channel: "BRIVA",
        idempotencyKey: newKey(),
        programs: [],
      },
    });
    expect(JSON.stringify(empty)).toContain("INVALID_INPUT");
    expect(await paymentCount()).toBe(before);
  });

  it("gives a part back with the sponsor's months it topped up, and keeps the key's answer on a retry", async () => {
    const { sponsorshipId, workerId } = await sponsoredWorkerWithJht("3171011203850003");
    const batch = await payBatch(sponsorshipId, 3);
    expect(batch.total).toBe(String(3 * 16_800));
    const key = newKey();
    const part = await payPart(workerId, 3, ["JHT"], key);
    expect(part.payment).toMatchObject({ amount: "60000", coverageFrom: monthOf(0), coverageThrough: monthOf(2) });
    // A retry with the same key answers with the same payment; with other programs, it is a reuse.
    const retry = await payPart(workerId, 3, ["JHT"], key);
    expect(retry.payment?.id).toBe(part.payment?.id);
    const reused = await payPart(workerId, 3, null, key);
    expect(reused.userErrors.map((e) => e.code)).toEqual(["IDEMPOTENCY_KEY_REUSED"]);
    await settle(part.payment as Payment);

    // The sponsor's payment is refunded by its channel: next two months go back to the budget,
    // and the worker's JHT on those months goes back to the worker with them.
    const sponsorPayment = batch.payments.nodes[0];
    if (!sponsorPayment) throw new Error("no batch payment");
    const refund = await notify(api, {
      reference: `SPLIT-REFUND-${newKey()}`,
      paymentId: sponsorPayment.id,
      status: "REFUNDED",
      amount: String(2 * 16_800),
    });
    expect(refund.status).toBe(200);
    const after = await coverage(workerId);
    expect(after.programsPaidThrough.map((p) => [p.program, p.paidThrough])).toEqual([
      ["JKK", monthOf(0)],
      ["JKM", monthOf(0)],
      ["JHT", monthOf(0)],
    ]);
    const refundedPart = dataOf(
      await api.graphql<{ payment: { status: string; refundedAmount: string } }>(
        `query ($id: ID!) { payment(id: $id) { status refundedAmount } }`,
        { id: part.payment?.id },
      ),
    ).payment;
    expect(refundedPart).toEqual({ status: "REFUNDED", refundedAmount: "40000" });
    const spent = dataOf(
      await api.graphql<{ node: { spent: string } }>(
        `query ($id: ID!) { node(id: $id) { ... on Sponsorship { spent } } }`,
        {
          id: sponsorshipId,
        },
      ),
    ).node;
    expect(spent.spent).toBe("16800");
    // What is kept is exactly the worth of what is still covered: 16,800 + 20,000 for this month.
    const [kept] = (
      (await api.db.execute(sql`
        select sum(amount - coalesce(refunded_amount, 0))::text as kept from payments
        where participant_id = ${workerId} and status in ('SETTLED', 'REFUNDED')`)) as unknown as {
        rows: { kept: string }[];
      }
    ).rows;
    expect(kept?.kept).toBe("36800");
  });

  it("says on the dashboard which programs make a month count", async () => {
    const dashboard = dataOf(
      await api.graphql<{ coverageDashboard: { activePrograms: string[] } }>(
        `{ coverageDashboard { activePrograms } }`,
      ),
    ).coverageDashboard;
    expect(dashboard.activePrograms).toEqual(["JKK", "JKM"]);
  });
});
