import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectFor } from "../src/app";
import { consumeEventQueue } from "../src/events-worker";
import { InProcessQueue } from "../src/modules/events/memory-queue";
import type { DeliveryMessage } from "../src/modules/events/queue";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { givenParticipant, givenSponsor, givenSponsorship, testNik } from "./testkit/fixtures";
import { gid, notify, pay } from "./testkit/payments";
import { startReceiver } from "./testkit/receiver";

/**
 * Every write sends its partner events on its own, as in production: the routes relay the outbox
 * right after answering, whichever route wrote (the payment webhook and the CSV upload as well as
 * GraphQL mutations). The Worker's path in one process: the app with a queue bound, and a consumer
 * that takes whatever reaches the queue, as wrangler's local queue does. No relay is run by hand.
 */
let api: TestApi;
let queue: InProcessQueue<DeliveryMessage>;
let consuming: ReturnType<typeof setInterval>;

beforeAll(async () => {
  api = await startTestApi();
  queue = new InProcessQueue<DeliveryMessage>("kepesertaan-webhooks");
  Object.assign(api.env, { WEBHOOK_QUEUE: queue });
  let busy = false;
  consuming = setInterval(() => {
    if (busy || queue.size === 0) return;
    busy = true;
    void queue
      .drain((batch) => consumeEventQueue(batch, api.env, () => connectFor(api.env), api.clock))
      .finally(() => {
        busy = false;
      });
  }, 50);
});

afterAll(async () => {
  clearInterval(consuming);
  await api?.close();
});

/** Waits until `done` holds, polling, for at most five seconds. */
async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
}

async function subscribe(url: string, eventTypes: string[]) {
  const created = dataOf(
    await api.graphql<{ createWebhookEndpoint: { userErrors: unknown[] } }>(
      "mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }",
      { input: { url, eventTypes } },
    ),
  );
  expect(created.createWebhookEndpoint.userErrors).toEqual([]);
}

describe("the local loop", () => {
  it("delivers a payment settled through the channel webhook to a subscribed endpoint within seconds", async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(receiver.url, ["PAYMENT_SETTLED"]);
      const worker = await givenParticipant(api.db, { fullName: "Ani Lestari" });
      const payment = await pay(api, worker.id, 1);
      const settled = await notify(api, {
        reference: `BRIVA-LOOP-${worker.id}`,
        paymentId: payment.id,
        status: "SETTLED",
        amount: payment.amount,
      });
      expect(settled).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });

      await eventually(() => receiver.delivered().length > 0);
      expect(receiver.delivered().map((event) => [event.type, (event.data.payment as { id: string }).id])).toEqual([
        ["payment.settled", payment.id],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it("delivers the workers a sponsor's CSV upload enrolled", async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(receiver.url, ["PARTICIPANT_REGISTERED", "SPONSORSHIP_ENROLLED"]);
      const sponsor = await givenSponsor(api.db, { name: "PT Loop Lokal" });
      const sponsorship = await givenSponsorship(api.db, sponsor.id);
      const csv = [
        "nik;fullName;segment;occupation;ecosystem;villageCode;reportedMonthlyIncome;programs",
        `${testNik("32.73.01")};Budi Santoso;BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;1000000;"JKK;JKM"`,
      ].join("\r\n");
      const uploaded = await api.request(
        `/sponsors/${gid("Sponsor", sponsor.id)}/enrollments.csv?sponsorshipId=${encodeURIComponent(gid("Sponsorship", sponsorship.id))}`,
        {
          method: "POST",
          headers: {
            "content-type": "text/csv",
            "idempotency-key": "loop-csv-1",
            ...(await bearer({ role: "ADMIN" })),
          },
          body: csv,
        },
      );
      expect(uploaded.status).toBe(200);

      await eventually(() => receiver.delivered().length >= 2);
      expect(receiver.delivered().map((event) => event.type)).toEqual(
        expect.arrayContaining(["participant.registered", "sponsorship.enrolled"]),
      );
    } finally {
      await receiver.close();
    }
  });

  it("starts no relay for a refused notification", async () => {
    const sentBefore = queue.sent;
    const response = await api.request("/webhooks/payments/BRIVA", {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": "t=1,v1=00" },
      body: "{}",
    });
    expect(response.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(queue.sent).toBe(sentBefore);
  });
});
