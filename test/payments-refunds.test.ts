import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coveredMonths, paymentEvents } from "../src/db/tables";
import { dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { monthKey } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { newKey, notify, pay, payAndSettle, viewParticipant } from "./testkit/payments";

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(); // today: TODAY (month 0 is its WIB month)
});
afterAll(async () => api?.close());

async function monthsOf(participantId: number) {
  const rows = await api.db.select().from(coveredMonths).where(eq(coveredMonths.participantId, participantId));
  return rows.map((row) => row.month.slice(0, 7)).sort();
}

describe("a refund in the middle of prepaid months", () => {
  it("moves later months back so coverage stays unbroken and paidThrough never passes a gap", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    await payAndSettle(api, worker.id, 1); // this month
    const middle = await payAndSettle(api, worker.id, 3); // months +1 to +3
    const last = await payAndSettle(api, worker.id, 3); // months +4 to +6
    expect((await viewParticipant(api, worker.id)).paidThrough).toBe(monthKey(6));

    const refund = await notify(api, { reference: "HOLE-R1", paymentId: middle, status: "REFUNDED", amount: "50400" });
    expect(refund).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });

    const view = await viewParticipant(api, worker.id);
    expect(view).toMatchObject({ status: "ACTIVE", paidThrough: monthKey(3) });
    expect(await monthsOf(worker.id)).toEqual([monthKey(0), monthKey(1), monthKey(2), monthKey(3)]);
    const byId = new Map(view.payments.nodes.map((p) => [p.id, p]));
    expect(byId.get(last)).toMatchObject({
      status: "SETTLED",
      coverageFrom: monthKey(1),
      coverageThrough: monthKey(3),
    });
    expect(byId.get(middle)).toMatchObject({ status: "REFUNDED", refundedAmount: "50400" });
  });
});

describe("refund amounts reconcile", () => {
  it("refuses a refund that is not worth the unused months, and exposes what was refunded", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const paymentId = await payAndSettle(api, worker.id, 6); // this month and the next five, Rp100,800
    const whole = await notify(api, { reference: "AMT-R1", paymentId, status: "REFUNDED", amount: "100800" });
    expect(whole).toMatchObject({ status: 422, body: { outcome: "AMOUNT_MISMATCH" } });
    let view = await viewParticipant(api, worker.id);
    expect(view).toMatchObject({ paidThrough: monthKey(5) });
    expect(view.payments.nodes[0]).toMatchObject({ status: "SETTLED", refundedAmount: null, refundedAt: null });

    // This month is in use; the next five are unused: 5 × Rp16,800.
    const right = await notify(api, { reference: "AMT-R2", paymentId, status: "REFUNDED", amount: "84000" });
    expect(right).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });
    view = await viewParticipant(api, worker.id);
    expect(view).toMatchObject({ status: "ACTIVE", paidThrough: monthKey(0) });
    expect(view.payments.nodes[0]).toMatchObject({
      status: "REFUNDED",
      refundedAmount: "84000",
      refundedAt: TODAY,
    });
  });

  it("is checked the same way when a back office records the refund", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const paymentId = await payAndSettle(api, worker.id, 3);
    const SETTLE = `mutation ($input: SettlePaymentInput!) { settlePayment(input: $input) { payment { status refundedAmount } userErrors { field code message } } }`;
    const wrong = dataOf(
      await api.graphql<{ settlePayment: { userErrors: { code: string; field: string[] }[] } }>(SETTLE, {
        input: { paymentId, outcome: "REFUNDED", amount: "50400" },
      }),
    );
    expect(wrong.settlePayment.userErrors).toMatchObject([{ code: "AMOUNT_MISMATCH", field: ["input", "amount"] }]);
    const right = dataOf(
      await api.graphql<{ settlePayment: unknown }>(SETTLE, {
        input: { paymentId, outcome: "REFUNDED", amount: "33600" },
      }),
    );
    expect(right.settlePayment).toEqual({ payment: { status: "REFUNDED", refundedAmount: "33600" }, userErrors: [] });
  });
});

describe("channel notifications", () => {
  it("refuses a reference reused with another body, changing nothing", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const first = await pay(api, worker.id, 1);
    const second = await pay(api, worker.id, 3);
    const applied = await notify(api, {
      reference: "REUSE-1",
      paymentId: first.id,
      status: "SETTLED",
      amount: "16800",
    });
    expect(applied).toMatchObject({ status: 200, body: { outcome: "APPLIED", duplicate: false } });
    const reused = await notify(api, {
      reference: "REUSE-1",
      paymentId: second.id,
      status: "SETTLED",
      amount: "50400",
    });
    expect(reused).toMatchObject({ status: 409, body: { outcome: "REFERENCE_REUSED", duplicate: false } });
    const view = await viewParticipant(api, worker.id);
    expect(view.paidThrough).toBe(monthKey(0));
    expect(view.payments.nodes.find((p) => p.id === second.id)?.status).toBe("PENDING");
    // The same body again is a plain replay.
    const replay = await notify(api, { reference: "REUSE-1", paymentId: first.id, status: "SETTLED", amount: "16800" });
    expect(replay).toMatchObject({ status: 200, body: { outcome: "APPLIED", duplicate: true } });
  });

  it("applies a refund that arrived before its settlement when the channel retries it", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = await pay(api, worker.id, 3);
    const refund = { reference: "EARLY-REFUND-1", paymentId: payment.id, status: "REFUNDED", amount: "33600" };
    expect(await notify(api, refund)).toMatchObject({ status: 409, body: { outcome: "OUT_OF_ORDER" } });
    expect(
      await notify(api, { reference: "LATE-SETTLE-1", paymentId: payment.id, status: "SETTLED", amount: "50400" }),
    ).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });
    expect(await notify(api, refund)).toMatchObject({ status: 200, body: { outcome: "APPLIED", duplicate: false } });
    const view = await viewParticipant(api, worker.id);
    expect(view).toMatchObject({ status: "ACTIVE", paidThrough: monthKey(0) });
    expect(view.payments.nodes[0]).toMatchObject({ status: "REFUNDED", refundedAmount: "33600" });
    const [event] = await api.db.select().from(paymentEvents).where(eq(paymentEvents.reference, "EARLY-REFUND-1"));
    expect(event?.outcome).toBe("APPLIED");
    // A further redelivery is now a replay of the applied refund.
    expect(await notify(api, refund)).toMatchObject({ status: 200, body: { outcome: "APPLIED", duplicate: true } });
  });

  it("still treats a refusal that is not about order as final", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const payment = await pay(api, worker.id, 1);
    const wrong = { reference: `FINAL-${newKey()}`, paymentId: payment.id, status: "SETTLED", amount: "1" };
    expect(await notify(api, wrong)).toMatchObject({ status: 422, body: { outcome: "AMOUNT_MISMATCH" } });
    expect(await notify(api, wrong)).toMatchObject({
      status: 422,
      body: { outcome: "AMOUNT_MISMATCH", duplicate: true },
    });
    expect((await viewParticipant(api, worker.id)).paidThrough).toBeNull();
  });
});
