import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { participants, sponsorships } from "../src/db/tables";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { lastDateOf, month } from "./testkit/dates";
import { givenSponsor } from "./testkit/fixtures";
import { gid, newKey, notify, pay } from "./testkit/payments";

let api: TestApi;
const fromGid = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);
type Errors = { field: string[]; code: string; message: string }[];

const CREATE_SPONSORSHIP = `mutation ($input: CreateSponsorshipInput!) {
  createSponsorship(input: $input) { sponsorship { id budget requestedBudget spent } userErrors { field code message } }
}`;
const SET_BUDGET = `mutation ($input: SetSponsorshipBudgetInput!) {
  setSponsorshipBudget(input: $input) { sponsorship { budget requestedBudget spent remainingBudget } userErrors { field code message } }
}`;
const ENROLL = `mutation ($input: EnrollSponsoredParticipantsInput!) {
  enrollSponsoredParticipants(input: $input) { created rows { participantId } userErrors { code message } }
}`;
const PAY_BATCH = `mutation ($input: PaySponsoredContributionsInput!) {
  paySponsoredContributions(input: $input) { batch { id total status channel payments(first: 5) { nodes { status } } } userErrors { field code message } }
}`;
const SETTLE_BATCH = `mutation ($input: SettlePaymentBatchInput!) {
  settlePaymentBatch(input: $input) { batch { status } userErrors { field code message } }
}`;

let nikSerial = 0;
function worker(overrides: Record<string, unknown> = {}) {
  nikSerial += 1;
  return {
    nik: `3171011203${String(80 + (nikSerial % 10)).padStart(2, "0")}${String(nikSerial).padStart(4, "0")}`,
    fullName: "Pekerja Dibiayai",
    segment: "BPU",
    occupation: "Buruh harian",
    ecosystem: "VULNERABLE_WORKERS",
    villageCode: "32.73.01.1001",
    reportedMonthlyIncome: "1000000",
    programs: ["JKK", "JKM"],
    ...overrides,
  };
}

async function sponsorship(
  input: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<{ id: string; budget: string; requestedBudget: string | null }> {
  const response = dataOf(
    await api.graphql<{
      createSponsorship: {
        sponsorship: { id: string; budget: string; requestedBudget: string | null } | null;
        userErrors: Errors;
      };
    }>(
      CREATE_SPONSORSHIP,
      {
        input: {
          programs: ["JKK", "JKM"],
          monthsPerPeriod: 1,
          maxParticipants: 10,
          budget: "1000000",
          // Began ten months ago and runs thirteen more: every month these tests pay is inside it.
          startsOn: month(-10),
          endsOn: lastDateOf(13),
          ...input,
        },
      },
      headers,
    ),
  ).createSponsorship;
  if (!response.sponsorship) throw new Error(JSON.stringify(response.userErrors));
  return response.sponsorship;
}

async function enroll(sponsorshipId: string, rows: Record<string, unknown>[]) {
  const result = dataOf(
    await api.graphql<{ enrollSponsoredParticipants: { created: number; rows: { participantId: string }[] } }>(ENROLL, {
      input: { sponsorshipId, idempotencyKey: newKey(), participants: rows },
    }),
  ).enrollSponsoredParticipants;
  expect(result.created).toBe(rows.length);
  return result.rows.map((row) => fromGid(row.participantId));
}

type BatchPayload = {
  paySponsoredContributions: {
    batch: {
      id: string;
      total: string;
      status: string;
      channel: string;
      payments: { nodes: { status: string }[] };
    } | null;
    userErrors: Errors;
  };
};
async function payBatch(sponsorshipId: string, input: Record<string, unknown> = {}, headers?: Record<string, string>) {
  return dataOf(
    await api.graphql<BatchPayload>(
      PAY_BATCH,
      { input: { sponsorshipId, months: 1, idempotencyKey: newKey(), ...input } },
      headers,
    ),
  ).paySponsoredContributions;
}

async function paidThrough(id: number) {
  const [row] = await api.db.select().from(participants).where(eq(participants.id, id));
  return row?.paidThrough ?? null;
}

beforeAll(async () => {
  api = await startTestApi(); // today: TODAY (month 0 is its WIB month)
});
afterAll(async () => api?.close());

describe("sponsorship budgets", () => {
  it("are set by the agency: a sponsor's own figure waits as a request and funds nothing", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Janji Saja" });
    const asSponsor = await bearer({ role: "SPONSOR", sponsorId: sponsor.id });
    const created = await sponsorship(
      { sponsorId: gid("Sponsor", sponsor.id), budget: "999999999999999999" },
      asSponsor,
    );
    expect(created).toMatchObject({ budget: "0", requestedBudget: "999999999999999999" });
    const [workerId] = await enroll(created.id, [worker()]);
    const refused = await payBatch(created.id, {}, asSponsor);
    expect(refused.userErrors.map((e) => e.code)).toEqual(["BUDGET_EXCEEDED"]);
    expect(await paidThrough(workerId ?? 0)).toBeNull();

    const raise = { input: { sponsorshipId: created.id, budget: "16800" } };
    expect((await api.graphql(SET_BUDGET, raise, asSponsor)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const set = dataOf(await api.graphql<{ setSponsorshipBudget: unknown }>(SET_BUDGET, raise));
    expect(set.setSponsorshipBudget).toEqual({
      sponsorship: { budget: "16800", requestedBudget: null, spent: "0", remainingBudget: "16800" },
      userErrors: [],
    });
    const batch = await payBatch(created.id, {}, asSponsor);
    expect(batch.batch).toMatchObject({ total: "16800", status: "PENDING" });
    const lower = dataOf(
      await api.graphql<{ setSponsorshipBudget: { userErrors: Errors } }>(SET_BUDGET, {
        input: { sponsorshipId: created.id, budget: "100" },
      }),
    );
    expect(lower.setSponsorshipBudget.userErrors).toMatchObject([
      { code: "BUDGET_BELOW_SPENT", field: ["input", "budget"] },
    ]);
    const unknown = dataOf(
      await api.graphql<{ setSponsorshipBudget: { userErrors: Errors } }>(SET_BUDGET, {
        input: { sponsorshipId: gid("Sponsorship", 999_999), budget: "100" },
      }),
    );
    expect(unknown.setSponsorshipBudget.userErrors).toMatchObject([
      { code: "NOT_FOUND", field: ["input", "sponsorshipId"] },
    ]);
  });

  it("are for BPU programs only: JP and JKP are refused", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Program Salah" });
    const response = dataOf(
      await api.graphql<{ createSponsorship: { sponsorship: unknown; userErrors: Errors } }>(CREATE_SPONSORSHIP, {
        input: {
          sponsorId: gid("Sponsor", sponsor.id),
          programs: ["JKK", "JKM", "JP"],
          monthsPerPeriod: 1,
          maxParticipants: 10,
          budget: "1000000",
          startsOn: month(-10),
          endsOn: lastDateOf(1),
        },
      }),
    ).createSponsorship;
    expect(response.sponsorship).toBeNull();
    expect(response.userErrors).toMatchObject([{ code: "PROGRAM_NOT_ALLOWED", field: ["input", "programs"] }]);
  });
});

describe("a sponsor's batch", () => {
  it("covers no month until the sponsor's transfer is notified by its channel", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Transfer Nyata" });
    const created = await sponsorship({ sponsorId: gid("Sponsor", sponsor.id) });
    const workers = await enroll(created.id, [worker(), worker()]);
    const pending = await payBatch(created.id, { channel: "BRIVA" });
    expect(pending.batch).toMatchObject({
      total: "33600",
      status: "PENDING",
      channel: "BRIVA",
      payments: { nodes: [{ status: "PENDING" }, { status: "PENDING" }] },
    });
    for (const id of workers) expect(await paidThrough(id)).toBeNull();
    const batchId = pending.batch?.id ?? "";
    const short = await notify(api, { reference: "BATCH-T1", batchId, status: "SETTLED", amount: "16800" });
    expect(short).toMatchObject({ status: 422, body: { outcome: "AMOUNT_MISMATCH" } });
    for (const id of workers) expect(await paidThrough(id)).toBeNull();
    const other = await notify(api, { reference: "BATCH-T2", batchId, status: "SETTLED", amount: "33600" }, "GOPAY");
    expect(other).toMatchObject({ status: 422, body: { outcome: "CHANNEL_MISMATCH" } });

    const arrived = await notify(api, { reference: "BATCH-T3", batchId, status: "SETTLED", amount: "33600" });
    expect(arrived).toMatchObject({ status: 200, body: { outcome: "APPLIED", batchId } });
    for (const id of workers) expect(await paidThrough(id)).toBe(month(0));
    const view = dataOf(
      await api.graphql<{ node: { status: string; payments: { nodes: { status: string }[] } } }>(
        `query ($id: ID!) { node(id: $id) { ... on PaymentBatch { status payments(first: 5) { nodes { status } } } } }`,
        { id: batchId },
      ),
    );
    expect(view.node).toEqual({
      status: "SETTLED",
      payments: { nodes: [{ status: "SETTLED" }, { status: "SETTLED" }] },
    });
  });

  it("gives its amount back to the budget when the transfer fails", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Gagal Bayar" });
    const created = await sponsorship({ sponsorId: gid("Sponsor", sponsor.id), budget: "16800" });
    const [workerId] = await enroll(created.id, [worker()]);
    const batch = (await payBatch(created.id)).batch;
    const failed = dataOf(
      await api.graphql<{ settlePaymentBatch: unknown }>(SETTLE_BATCH, {
        input: { batchId: batch?.id, outcome: "FAILED" },
      }),
    );
    expect(failed.settlePaymentBatch).toEqual({ batch: { status: "FAILED" }, userErrors: [] });
    const [row] = await api.db
      .select()
      .from(sponsorships)
      .where(eq(sponsorships.id, fromGid(created.id)));
    expect(row?.spent).toBe(0n);
    expect(await paidThrough(workerId ?? 0)).toBeNull();
    const late = dataOf(
      await api.graphql<{ settlePaymentBatch: { userErrors: Errors } }>(SETTLE_BATCH, {
        input: { batchId: batch?.id, outcome: "SETTLED" },
      }),
    );
    expect(late.settlePaymentBatch.userErrors.map((e) => e.code)).toEqual(["INVALID_TRANSITION"]);
    const partner = await bearer({ role: "PARTNER", scopes: ["payments:write"] });
    const forbidden = await api.graphql(SETTLE_BATCH, { input: { batchId: batch?.id, outcome: "SETTLED" } }, partner);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("gives a refunded payment's worth back to the budget, once", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Dana Kembali" });
    const created = await sponsorship({ sponsorId: gid("Sponsor", sponsor.id), budget: "100800" });
    const workers = await enroll(created.id, [worker(), worker()]);
    const batch = (await payBatch(created.id, { months: 3, channel: "BRIVA" })).batch;
    expect(batch).toMatchObject({ total: "100800", status: "PENDING" });
    const settled = await notify(api, {
      reference: "BACK-S1",
      batchId: batch?.id ?? "",
      status: "SETTLED",
      amount: "100800",
    });
    expect(settled).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });
    const payments = dataOf(
      await api.graphql<{ node: { payments: { nodes: { id: string; amount: string }[] } } }>(
        `query ($id: ID!) { node(id: $id) { ... on PaymentBatch { payments(first: 5) { nodes { id amount } } } } }`,
        { id: batch?.id },
      ),
    ).node.payments.nodes;
    const refundedPayment = payments[0]?.id ?? "";
    // This month is in use; the next two come back (2 × 16,800).
    for (const reference of ["BACK-R1", "BACK-R2"]) {
      const refund = await notify(api, { reference, paymentId: refundedPayment, status: "REFUNDED", amount: "33600" });
      expect(refund.status).toBe(200);
    }
    const figures = dataOf(
      await api.graphql<{ node: { spent: string; remainingBudget: string } }>(
        `query ($id: ID!) { node(id: $id) { ... on Sponsorship { spent remainingBudget } } }`,
        { id: created.id },
      ),
    ).node;
    expect(figures).toEqual({ spent: "67200", remainingBudget: "33600" });
    const paidThroughs = await Promise.all(workers.map((id) => paidThrough(id)));
    expect(paidThroughs.sort()).toEqual([month(0), month(2)]);
  });

  it("never pays months outside the sponsorship's period", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Sampai Bulan Depan" });
    // The sponsorship ends with next month.
    const created = await sponsorship({
      sponsorId: gid("Sponsor", sponsor.id),
      startsOn: month(-10),
      endsOn: lastDateOf(1),
    });
    const [workerId] = await enroll(created.id, [worker()]);
    // Three months from this one would reach the month after next, after the sponsorship ends.
    const refused = await payBatch(created.id, { months: 3 });
    expect(refused.batch).toBeNull();
    expect(refused.userErrors).toMatchObject([{ code: "OUTSIDE_SPONSORSHIP_PERIOD", field: ["input", "months"] }]);
    expect(await paidThrough(workerId ?? 0)).toBeNull();
    const inside = await payBatch(created.id, { months: 1 });
    expect(inside.userErrors).toEqual([]);
  });
});

describe("batch payments pair with their workers by key", () => {
  it("settle each worker's own months, whatever order the rows come back in", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Urutan Bebas" });
    const created = await sponsorship({ sponsorId: gid("Sponsor", sponsor.id) });
    const [fresh, ahead] = await enroll(created.id, [worker(), worker()]);
    // The second worker paid this month and the next two themselves: the sponsor's month is the third.
    const own = await pay(api, ahead ?? 0, 3);
    await notify(api, { reference: `OWN-${newKey()}`, paymentId: own.id, status: "SETTLED", amount: own.amount });
    const batch = (await payBatch(created.id)).batch;
    expect(batch?.total).toBe("33600");
    dataOf(await api.graphql(SETTLE_BATCH, { input: { batchId: batch?.id, outcome: "SETTLED", amount: "33600" } }));
    expect(await paidThrough(fresh ?? 0)).toBe(month(0));
    expect(await paidThrough(ahead ?? 0)).toBe(month(3));
  });
});
