import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, coveredMonths, outboxEvents, participants, paymentEvents, payments } from "../src/db/tables";
import { signNotification } from "../src/modules/payments/signature";
import { bearer, dataOf, startTestApi, TEST_CHANNEL_SECRETS, type TestApi, TODAY } from "./testkit/api";
import { at, month, monthKey, year } from "./testkit/dates";
import { givenParticipant, givenSponsor } from "./testkit/fixtures";

let api: TestApi;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
let keySerial = 0;
const newKey = () => `test-key-${++keySerial}-${Date.now()}`;

const PAY = `mutation ($input: PayContributionInput!) {
  payContribution(input: $input) {
    payment { id status amount months coverageFrom coverageThrough payer channel lines { program monthlyAmount amount } }
    participant { status paidThrough }
    userErrors { field code message }
  }
}`;
type PayResult = {
  payContribution: {
    payment: {
      id: string;
      status: string;
      amount: string;
      months: number;
      coverageFrom: string;
      coverageThrough: string;
    } | null;
    participant: { status: string; paidThrough: string | null } | null;
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

async function pay(input: Record<string, unknown>, headers?: Record<string, string>) {
  return api.graphql<PayResult>(
    PAY,
    { input: { channel: "BRIVA", months: 1, idempotencyKey: newKey(), ...input } },
    headers,
  );
}

async function notify(
  channel: keyof typeof TEST_CHANNEL_SECRETS | "UNKNOWN",
  body: Record<string, unknown>,
  options: { at?: Date; secret?: string; raw?: string } = {},
) {
  const raw = options.raw ?? JSON.stringify(body);
  const secret = options.secret ?? (channel === "UNKNOWN" ? "x".repeat(20) : TEST_CHANNEL_SECRETS[channel]);
  const signature = await signNotification(raw, secret, options.at ?? new Date(TODAY));
  const response = await api.request(`/webhooks/payments/${channel}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signature },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const settled = (paymentId: string, amount: string, reference = `REF-${newKey()}`, status = "SETTLED") => ({
  reference,
  paymentId,
  status,
  amount,
  currency: "IDR",
});

async function participantRow(id: number) {
  const [row] = await api.db.select().from(participants).where(eq(participants.id, id));
  return row;
}

/** The invariant: every participant's paid_through is the last month their settled payments cover. */
async function expectPaidThroughMatchesCoverage() {
  const result = await api.db.execute(sql`
    select p.id, p.paid_through::text as paid_through, max(c.month)::text as covered
    from participants p left join covered_months c on c.participant_id = p.id
    group by p.id having p.paid_through is distinct from max(c.month)`);
  expect((result as { rows: unknown[] }).rows).toEqual([]);
}

beforeAll(async () => {
  api = await startTestApi(); // today: TODAY (month(0) is its WIB month)
});
afterAll(async () => api?.close());

describe("contributionQuote", () => {
  const QUOTE = `query ($input: ContributionQuoteInput!) { contributionQuote(input: $input) { total monthlyTotal months lines { program monthlyAmount amount } } }`;

  it("is public and prices BPU from Rp16,800 (JKK+JKM) and Rp36,800 (with JHT) a month", async () => {
    const full = dataOf(
      await api.graphql<{ contributionQuote: unknown }>(
        QUOTE,
        { input: { segment: "BPU", reportedMonthlyIncome: "1000000", programs: ["JKK", "JKM", "JHT"], months: 1 } },
        {},
      ),
    );
    expect(full.contributionQuote).toEqual({
      total: "36800",
      monthlyTotal: "36800",
      months: 1,
      lines: [
        { program: "JKK", monthlyAmount: "10000", amount: "10000" },
        { program: "JKM", monthlyAmount: "6800", amount: "6800" },
        { program: "JHT", monthlyAmount: "20000", amount: "20000" },
      ],
    });
    const basic = dataOf(
      await api.graphql<{ contributionQuote: { total: string } }>(
        QUOTE,
        { input: { segment: "BPU", reportedMonthlyIncome: "1000000", programs: ["JKK", "JKM"], months: 12 } },
        {},
      ),
    );
    expect(basic.contributionQuote.total).toBe("201600");
  });

  it("refuses what cannot be priced, naming each field", async () => {
    const response = await api.graphql(
      QUOTE,
      { input: { segment: "BPU", reportedMonthlyIncome: "1000000", programs: ["JKK", "JKM", "JP"], months: 2 } },
      {},
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      userErrors: [
        { field: ["input", "months"], code: "INVALID_MONTHS" },
        { field: ["input", "programs"], code: "PROGRAM_NOT_ALLOWED" },
      ],
    });
  });
});

describe("payContribution", () => {
  it("writes the payment, its payment.created event and its audit row in one statement after one read", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM", "JHT"] });
    const self = await bearer({ role: "PARTICIPANT", participantId: worker.id });
    api.statements.length = 0;
    const { payContribution } = dataOf(await pay({ participantId: gid("Participant", worker.id), months: 1 }, self));
    const sent = [...api.statements];
    // Read the participant; take the key, insert payment + event + audit row (one CTE, atomic
    // without BEGIN/COMMIT);
    // read the payment back with the client's selection. No transaction round trips.
    expect(sent).toHaveLength(3);
    expect(sent.some((statement) => /^(begin|commit)/i.test(statement.trim()))).toBe(false);
    expect(sent[1]).toMatch(
      /^\s*with taken as \(\s*insert into "payment_keys"[\s\S]*created as \(\s*insert into "payments"/,
    );
    const paymentId = Number(
      Buffer.from(payContribution.payment?.id ?? "", "base64")
        .toString()
        .split(":")[1],
    );
    const [event] = await api.db.select().from(outboxEvents).where(eq(outboxEvents.participantId, worker.id));
    expect(event).toMatchObject({ type: "payment.created", occurredAt: expect.any(String) });
    expect(event?.data).toMatchObject({ payment: { id: payContribution.payment?.id, status: "PENDING" } });
    const audit = await api.db
      .select()
      .from(auditLog)
      .where(sql`${`payment:${paymentId}`} = any(${auditLog.targetIds})`);
    expect(audit).toMatchObject([
      {
        operation: "payContribution",
        outcome: "SUCCEEDED",
        targetIds: [`payment:${paymentId}`, `participant:${worker.id}`],
      },
    ]);
  });

  it("creates a pending payment at today's rates for the participant's next month", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM", "JHT"] });
    const self = await bearer({ role: "PARTICIPANT", participantId: worker.id });
    const { payContribution } = dataOf(await pay({ participantId: gid("Participant", worker.id), months: 3 }, self));
    expect(payContribution.userErrors).toEqual([]);
    expect(payContribution.payment).toMatchObject({
      status: "PENDING",
      amount: "110400",
      months: 3,
      coverageFrom: monthKey(0),
      coverageThrough: monthKey(2),
    });
    expect(payContribution.participant).toEqual({ status: "PENDING", paidThrough: null });
  });

  it("returns the same payment for a retry with the same key and refuses the key for another request", async () => {
    const worker = await givenParticipant(api.db);
    const idempotencyKey = newKey();
    const input = { participantId: gid("Participant", worker.id), months: 1, idempotencyKey };
    const first = dataOf(await pay(input)).payContribution;
    const retry = dataOf(await pay(input)).payContribution;
    expect(retry.payment?.id).toBe(first.payment?.id);
    expect(await api.db.$count(payments, eq(payments.participantId, worker.id))).toBe(1);
    const other = dataOf(await pay({ ...input, months: 3 })).payContribution;
    expect(other.payment).toBeNull();
    expect(other.userErrors).toEqual([
      {
        field: ["input", "idempotencyKey"],
        code: "IDEMPOTENCY_KEY_REUSED",
        message: "This idempotency key was used for a different payment request",
      },
    ]);
    // The key decides before the request is judged: a reused key is named, not the unknown participant.
    const elsewhere = dataOf(await pay({ ...input, participantId: gid("Participant", 999_999) })).payContribution;
    expect(elsewhere.userErrors.map((e: { code: string }) => e.code)).toEqual(["IDEMPOTENCY_KEY_REUSED"]);
    const outcomes = await api.db
      .select({ outcome: auditLog.outcome })
      .from(auditLog)
      .where(eq(auditLog.operation, "payContribution"));
    expect(outcomes.map((o) => o.outcome)).toEqual(expect.arrayContaining(["SUCCEEDED", "REPLAYED", "REJECTED"]));
  });

  it.each([
    [
      "an unknown participant",
      () => ({ participantId: gid("Participant", 999999) }),
      "NOT_FOUND",
      "input.participantId",
    ],
    [
      "two months",
      (id: number) => ({ participantId: gid("Participant", id), months: 2 }),
      "INVALID_INPUT",
      "input.months",
    ],
    [
      "a short idempotency key",
      (id: number) => ({ participantId: gid("Participant", id), idempotencyKey: "k1" }),
      "INVALID_INPUT",
      "input.idempotencyKey",
    ],
  ])("refuses %s and writes no payment", async (_name, input, code, field) => {
    const worker = await givenParticipant(api.db);
    const before = await api.db.$count(payments);
    const { payContribution } = dataOf(await pay(input(worker.id)));
    expect(payContribution.payment).toBeNull();
    expect(payContribution.userErrors[0]).toMatchObject({ code, field: field.split(".") });
    expect(await api.db.$count(payments)).toBe(before);
  });

  it("refuses a malformed channel as the input is read (PaymentChannel) and writes no payment", async () => {
    const worker = await givenParticipant(api.db);
    const before = await api.db.$count(payments);
    const response = await pay({ participantId: gid("Participant", worker.id), channel: "briva" });
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(await api.db.$count(payments)).toBe(before);
  });

  it("refuses a participant whose programs have no monthly rate here, and a payer that is not their sponsor", async () => {
    const builder = await givenParticipant(api.db, { segment: "JAKON", programs: ["JKK", "JKM"] });
    const before = await api.db.$count(payments);
    expect(
      dataOf(await pay({ participantId: gid("Participant", builder.id) })).payContribution.userErrors[0]?.code,
    ).toBe("NOT_PAYABLE");
    const sponsor = await givenSponsor(api.db, { name: "Not Their Sponsor" });
    const worker = await givenParticipant(api.db);
    const { payContribution } = dataOf(
      await pay({ participantId: gid("Participant", worker.id), payerSponsorId: gid("Sponsor", sponsor.id) }),
    );
    expect(payContribution.userErrors[0]).toMatchObject({
      code: "PAYER_NOT_SPONSOR",
      field: ["input", "payerSponsorId"],
    });
    const otherSponsor = await pay(
      { participantId: gid("Participant", worker.id), payerSponsorId: gid("Sponsor", sponsor.id) },
      await bearer({ role: "SPONSOR", sponsorId: sponsor.id + 1000 }),
    );
    expect(otherSponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await api.db.$count(payments)).toBe(before);
  });
});

describe("settlement through the payment-channel webhook", () => {
  it("settles a payment, extends coverage and answers a replay without a second effect", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = dataOf(await pay({ participantId: gid("Participant", worker.id), months: 3 })).payContribution
      .payment;
    if (!payment) throw new Error("no payment");
    const notification = settled(payment.id, "50400", "BRIVA-0001");
    expect(await notify("BRIVA", notification)).toEqual({
      status: 200,
      body: { outcome: "APPLIED", duplicate: false, paymentId: payment.id },
    });
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(2) });
    expect(await notify("BRIVA", notification)).toEqual({
      status: 200,
      body: { outcome: "APPLIED", duplicate: true, paymentId: payment.id },
    });
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(2) });
    const rows = await api.db.select().from(coveredMonths).where(eq(coveredMonths.participantId, worker.id));
    expect(rows.map((r) => r.month).sort()).toEqual([month(0), month(1), month(2)]);
    const view = dataOf(
      await api.graphql<{ payment: { status: string; settledAt: string; externalReference: string } }>(
        `query ($id: ID!) { payment(id: $id) { status settledAt externalReference } }`,
        { id: payment.id },
      ),
    );
    expect(view.payment).toMatchObject({ status: "SETTLED", externalReference: "BRIVA-0001" });
    await expectPaidThroughMatchesCoverage();
  });

  it("refuses bad signatures, stale timestamps, other channels, wrong amounts and currencies, and records them", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = dataOf(await pay({ participantId: gid("Participant", worker.id) })).payContribution.payment;
    if (!payment) throw new Error("no payment");
    const good = settled(payment.id, "16800");
    expect((await notify("BRIVA", good, { secret: "forged-secret-0123456789" })).status).toBe(401);
    expect(await notify("BRIVA", good, { at: new Date(new Date(TODAY).getTime() - 10 * 60_000) })).toMatchObject({
      status: 401,
      body: { error: { code: "INVALID_SIGNATURE", message: "The signature timestamp is too far from now (replay?)" } },
    });
    expect((await notify("UNKNOWN", good)).status).toBe(404);
    expect((await notify("BRIVA", {}, { raw: "{not json" })).status).toBe(400);
    expect((await notify("BRIVA", { ...good, amount: "16800.00" })).status).toBe(400);
    expect(await notify("BRIVA", { ...good, reference: "M-1", amount: "16000" })).toMatchObject({
      status: 422,
      body: { outcome: "AMOUNT_MISMATCH" },
    });
    expect(await notify("BRIVA", { ...good, reference: "M-2", currency: "USD" })).toMatchObject({
      status: 422,
      body: { outcome: "CURRENCY_MISMATCH" },
    });
    expect(await notify("GOPAY", { ...good, reference: "M-3" })).toMatchObject({
      status: 422,
      body: { outcome: "CHANNEL_MISMATCH" },
    });
    expect(await notify("BRIVA", { ...good, reference: "M-4", paymentId: gid("Payment", 999999) })).toMatchObject({
      status: 404,
      body: { outcome: "UNKNOWN_PAYMENT" },
    });
    // The refused notification is kept with its reason; replaying it answers the same.
    const [kept] = await api.db.select().from(paymentEvents).where(eq(paymentEvents.reference, "M-1"));
    expect(kept).toMatchObject({ channel: "BRIVA", outcome: "AMOUNT_MISMATCH", amount: 16000n });
    expect(await notify("BRIVA", { ...good, reference: "M-1", amount: "16000" })).toMatchObject({
      status: 422,
      body: { outcome: "AMOUNT_MISMATCH", duplicate: true },
    });
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: null });
    const [row] = await api.db.select().from(payments).where(eq(payments.participantId, worker.id));
    expect(row?.status).toBe("PENDING");
  });

  it("changes nothing on FAILED, and a failed payment cannot settle later", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = dataOf(await pay({ participantId: gid("Participant", worker.id) })).payContribution.payment;
    if (!payment) throw new Error("no payment");
    expect(await notify("BRIVA", settled(payment.id, "16800", undefined, "FAILED"))).toMatchObject({
      status: 200,
      body: { outcome: "APPLIED" },
    });
    expect(await notify("BRIVA", settled(payment.id, "16800"))).toMatchObject({
      status: 409,
      body: { outcome: "INVALID_TRANSITION" },
    });
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: null });
    expect(await api.db.$count(coveredMonths, eq(coveredMonths.participantId, worker.id))).toBe(0);
  });
});

describe("coverage", () => {
  async function payAndSettle(participantId: number, months: number) {
    const payment = dataOf(await pay({ participantId: gid("Participant", participantId), months })).payContribution
      .payment;
    if (!payment) throw new Error("no payment");
    const result = await notify("BRIVA", settled(payment.id, payment.amount));
    expect(result.status).toBe(200);
    return payment.id;
  }

  it("pays arrears oldest month first for a participant in grace", async () => {
    // Paid through two months ago: GRACE, with last month unpaid.
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"], paidThrough: month(-2) });
    await api.db
      .insert(coveredMonths)
      .values({ participantId: worker.id, month: month(-2), paymentId: await seedPaymentId(worker.id, -2) });
    const paymentId = await payAndSettle(worker.id, 3);
    const view = dataOf(
      await api.graphql<{ payment: { coverageFrom: string; coverageThrough: string } }>(
        `query ($id: ID!) { payment(id: $id) { coverageFrom coverageThrough } }`,
        { id: paymentId },
      ),
    );
    expect(view.payment).toEqual({ coverageFrom: monthKey(-1), coverageThrough: monthKey(1) });
  });

  it("resumes an inactive participant from the current month without back payments", async () => {
    // Paid through five months ago: INACTIVE (three or more months unpaid).
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"], paidThrough: month(-5) });
    await api.db
      .insert(coveredMonths)
      .values({ participantId: worker.id, month: month(-5), paymentId: await seedPaymentId(worker.id, -5) });
    await payAndSettle(worker.id, 1);
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(0) });
    const status = dataOf(
      await api.graphql<{ participant: { status: string } }>(`query ($id: ID!) { participant(id: $id) { status } }`, {
        id: gid("Participant", worker.id),
      }),
    );
    expect(status.participant.status).toBe("ACTIVE");
  });

  it("gives two payments made together consecutive months, never the same one", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const a = dataOf(await pay({ participantId: gid("Participant", worker.id), months: 1 })).payContribution.payment;
    const b = dataOf(await pay({ participantId: gid("Participant", worker.id), months: 3 })).payContribution.payment;
    if (!a || !b) throw new Error("no payment");
    await notify("BRIVA", settled(b.id, b.amount));
    await notify("BRIVA", settled(a.id, a.amount));
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(3) });
    expect(await api.db.$count(coveredMonths, eq(coveredMonths.participantId, worker.id))).toBe(4);
    await expectPaidThroughMatchesCoverage();
  });

  it("refunds only the months not used yet", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const paymentId = await payAndSettle(worker.id, 6);
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(5) });
    const refund = await notify("BRIVA", settled(paymentId, "84000", "REFUND-1", "REFUNDED"));
    expect(refund).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(0) });
    const [row] = await api.db.select().from(payments).where(eq(payments.participantId, worker.id));
    expect(row).toMatchObject({ status: "REFUNDED", refundedAmount: 84_000n });
    await expectPaidThroughMatchesCoverage();
  });
});

describe("settlePayment", () => {
  const SETTLE = `mutation ($input: SettlePaymentInput!) { settlePayment(input: $input) { payment { status coverageThrough } userErrors { field code message } } }`;

  it("lets a back office with payments:settle record an outcome, checking the amount", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = dataOf(await pay({ participantId: gid("Participant", worker.id) })).payContribution.payment;
    if (!payment) throw new Error("no payment");
    const partner = await bearer({ role: "PARTNER", scopes: ["payments:write"] });
    expect(
      (await api.graphql(SETTLE, { input: { paymentId: payment.id, outcome: "SETTLED" } }, partner)).errors?.[0]
        ?.extensions?.code,
    ).toBe("FORBIDDEN");
    const backOffice = await bearer({ role: "PARTNER", scopes: ["payments:settle"] });
    const wrong = dataOf(
      await api.graphql<{ settlePayment: { userErrors: unknown[] } }>(
        SETTLE,
        { input: { paymentId: payment.id, outcome: "SETTLED", amount: "1" } },
        backOffice,
      ),
    );
    expect(wrong.settlePayment.userErrors).toEqual([
      {
        field: ["input", "amount"],
        code: "AMOUNT_MISMATCH",
        message: "The channel reports Rp1 but the payment is for Rp16,800",
      },
    ]);
    const done = dataOf(
      await api.graphql<{ settlePayment: unknown }>(
        SETTLE,
        { input: { paymentId: payment.id, outcome: "SETTLED", amount: "16800" } },
        backOffice,
      ),
    );
    expect(done.settlePayment).toEqual({
      payment: { status: "SETTLED", coverageThrough: monthKey(0) },
      userErrors: [],
    });
    expect(await participantRow(worker.id)).toMatchObject({ paidThrough: month(0) });
  });
});

describe("a participant's payments", () => {
  it("filter by status, payer and period", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const a = dataOf(await pay({ participantId: gid("Participant", worker.id) })).payContribution.payment;
    const b = dataOf(await pay({ participantId: gid("Participant", worker.id) })).payContribution.payment;
    if (!a || !b) throw new Error("no payment");
    await notify("BRIVA", settled(a.id, a.amount));
    const query = `query ($id: ID!, $filter: PaymentFilter) { participant(id: $id) { payments(first: 10, filter: $filter) { totalCount nodes { id status } } } }`;
    const list = async (filter: Record<string, unknown>) =>
      dataOf(
        await api.graphql<{ participant: { payments: { totalCount: number; nodes: { id: string }[] } } }>(query, {
          id: gid("Participant", worker.id),
          filter,
        }),
      ).participant.payments;
    expect((await list({ status: "SETTLED" })).nodes.map((n) => n.id)).toEqual([a.id]);
    expect((await list({ status: "PENDING" })).nodes.map((n) => n.id)).toEqual([b.id]);
    expect((await list({ payer: "SELF" })).totalCount).toBe(2);
    expect((await list({ payer: "SPONSOR" })).totalCount).toBe(0);
    // A year long before TODAY: nothing was created then.
    expect((await list({ createdFrom: `${year(-6)}-01-01`, createdTo: `${year(-6)}-12-31` })).totalCount).toBe(0);
  });
});

/**
 * A settled payment row for the month `offset` months from TODAY's, standing for history before
 * the test (fixtures arrange state directly).
 */
async function seedPaymentId(participantId: number, offset: number): Promise<number> {
  const [row] = await api.db
    .insert(payments)
    .values({
      participantId,
      idempotencyScope: "test-fixture",
      months: 1,
      coverageFrom: month(offset),
      coverageThrough: month(offset),
      amount: 16_800n,
      lines: [],
      payer: "SELF",
      channel: "BRIVA",
      status: "SETTLED",
      idempotencyKey: newKey(),
      createdAt: at(offset, 5, "07:00"),
      settledAt: at(offset, 5, "07:00"),
    })
    .returning({ id: payments.id });
  if (!row) throw new Error("no row");
  return row.id;
}
