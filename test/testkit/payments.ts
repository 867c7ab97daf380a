import { signNotification } from "../../src/modules/payments/signature";
import { dataOf, TEST_CHANNEL_SECRETS, type TestApi } from "./api";

/** A Relay global id, as clients see it. */
export const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");

let keySerial = 0;
export const newKey = () => `pay-key-${++keySerial}-${Date.now()}`;

export type PaymentView = {
  id: string;
  status: string;
  amount: string;
  months: number;
  coverageFrom: string;
  coverageThrough: string;
  refundedAmount: string | null;
  refundedAt: string | null;
};
const PAY = `mutation ($input: PayContributionInput!) {
  payContribution(input: $input) {
    payment { id status amount months coverageFrom coverageThrough refundedAmount refundedAt }
    userErrors { field code message }
  }
}`;

/** payContribution through GraphQL (as ADMIN unless headers say otherwise); the payment must be made. */
export async function pay(api: TestApi, participantId: number, months: number, headers?: Record<string, string>) {
  const response = await api.graphql<{ payContribution: { payment: PaymentView | null; userErrors: unknown[] } }>(
    PAY,
    { input: { participantId: gid("Participant", participantId), months, channel: "BRIVA", idempotencyKey: newKey() } },
    headers,
  );
  const payment = dataOf(response).payContribution.payment;
  if (!payment) throw new Error(`no payment: ${JSON.stringify(response)}`);
  return payment;
}

/** A signed channel notification to the webhook, as the channel sends it. */
export async function notify(
  api: TestApi,
  body: { reference: string; paymentId?: string; batchId?: string; status: string; amount: string; currency?: string },
  channel: keyof typeof TEST_CHANNEL_SECRETS = "BRIVA",
) {
  const raw = JSON.stringify({ currency: "IDR", ...body });
  const signature = await signNotification(raw, TEST_CHANNEL_SECRETS[channel], api.clock.now());
  const response = await api.request(`/webhooks/payments/${channel}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signature },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Pays and settles through the channel webhook; returns the payment's id. */
export async function payAndSettle(api: TestApi, participantId: number, months: number) {
  const payment = await pay(api, participantId, months);
  const settled = await notify(api, {
    reference: `SETTLE-${newKey()}`,
    paymentId: payment.id,
    status: "SETTLED",
    amount: payment.amount,
  });
  if (settled.status !== 200) throw new Error(`settlement refused: ${JSON.stringify(settled)}`);
  return payment.id;
}

const VIEW = `query ($id: ID!) {
  participant(id: $id) { status paidThrough payments(first: 20) { nodes { id status coverageFrom coverageThrough refundedAmount refundedAt } } }
}`;
export type ParticipantView = {
  status: string;
  paidThrough: string | null;
  payments: { nodes: Omit<PaymentView, "amount" | "months">[] };
};

export async function viewParticipant(api: TestApi, participantId: number): Promise<ParticipantView> {
  return dataOf(await api.graphql<{ participant: ParticipantView }>(VIEW, { id: gid("Participant", participantId) }))
    .participant;
}
