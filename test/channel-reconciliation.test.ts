import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { dateIn, lastDateOf, month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { newKey, notify, pay, payAndSettle } from "./testkit/payments";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const REPORT = `query ($from: Date!, $to: Date!, $channel: PaymentChannel) {
  channelReconciliation(from: $from, to: $to, channel: $channel) {
    channel date settledCount settledAmount notifiedCount notifiedAmount
    mismatches { kind paymentId reference amount outcome }
  }
}`;
type Day = {
  channel: string;
  date: string;
  settledCount: number;
  settledAmount: string;
  notifiedCount: number;
  notifiedAmount: string;
  mismatches: {
    kind: string;
    paymentId: string | null;
    reference: string | null;
    amount: string;
    outcome: string | null;
  }[];
};

describe("channel reconciliation (ADMIN)", () => {
  it("sets settlements against the channel's applied notifications and lists every difference", async () => {
    const [a, b, c] = [await givenParticipant(api.db), await givenParticipant(api.db), await givenParticipant(api.db)];
    await payAndSettle(api, a.id, 1);
    // Settled by hand: no notification from the channel.
    const byHand = await pay(api, b.id, 1);
    const settled = dataOf(
      await api.graphql<{ settlePayment: { userErrors: unknown[] } }>(
        `mutation ($input: SettlePaymentInput!) { settlePayment(input: $input) { userErrors { code } } }`,
        { input: { paymentId: byHand.id, outcome: "SETTLED" } },
      ),
    );
    expect(settled.settlePayment.userErrors).toEqual([]);
    // The channel notifies an amount the payment is not worth: refused, so a difference.
    const wrong = await pay(api, c.id, 1);
    const reference = `WRONG-${newKey()}`;
    await notify(api, { reference, paymentId: wrong.id, status: "SETTLED", amount: "1" });

    // The whole of TODAY's WIB month: everything above happened at TODAY.
    const days = dataOf(
      await api.graphql<{ channelReconciliation: Day[] }>(REPORT, {
        from: month(0),
        to: lastDateOf(0),
        channel: "BRIVA",
      }),
    ).channelReconciliation;
    const total = (pick: (d: Day) => number | bigint) => days.reduce((sum, d) => sum + BigInt(pick(d)), 0n);
    expect(total((d) => d.settledCount)).toBe(2n);
    expect(total((d) => d.notifiedCount)).toBe(1n);
    expect(total((d) => BigInt(d.settledAmount))).toBe(2n * BigInt(byHand.amount));
    const mismatches = days.flatMap((d) => d.mismatches);
    expect(mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "SETTLED_WITHOUT_NOTIFICATION", paymentId: byHand.id, amount: byHand.amount }),
        expect.objectContaining({
          kind: "NOTIFICATION_NOT_APPLIED",
          reference,
          amount: "1",
          outcome: "AMOUNT_MISMATCH",
        }),
      ]),
    );
    expect(mismatches).toHaveLength(2);
  });

  it("is for ADMIN and payment back offices, and refuses ranges over 31 days", async () => {
    const officer = await api.graphql(
      REPORT,
      { from: month(0), to: lastDateOf(0) },
      await bearer({ role: "OFFICER", region: "31" }),
    );
    expect(officer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const backOffice = await api.graphql(
      REPORT,
      { from: month(0), to: dateIn(0, 2) },
      await bearer({ role: "PARTNER", scopes: ["payments:settle"] }),
    );
    expect(backOffice.errors).toBeUndefined();
    for (const [from, to] of [
      [dateIn(0, 10), month(0)], // ends before it starts
      [month(-1), lastDateOf(0)], // two months: over 31 days
    ]) {
      const response = await api.graphql(REPORT, { from, to });
      expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
  });
});
