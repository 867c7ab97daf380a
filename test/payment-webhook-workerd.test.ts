import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { closeNodeProxy, nodeProxy } from "../scripts/node-database";
import { signNotification } from "../src/modules/payments/signature";
import { bearer, TEST_CHANNEL_SECRETS, TEST_JWT_SECRET } from "./testkit/api";
import { startTestDatabase, type TestDatabase } from "./testkit/database";
import { month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { startReceiver } from "./testkit/receiver";

/**
 * The local loop in the real runtime: a payment the channel settles through
 * `/webhooks/payments/BRIVA` reaches a subscribed endpoint through wrangler's local queue, with no
 * cron fired and nothing run by hand (the route relays the outbox after answering).
 */
let worker: Unstable_DevWorker;
let database: TestDatabase;

beforeAll(async () => {
  database = await startTestDatabase();
  const proxy = await nodeProxy();
  worker = await unstable_dev(fileURLToPath(new URL("../src/index.ts", import.meta.url)), {
    config: fileURLToPath(new URL("../wrangler.toml", import.meta.url)),
    vars: {
      ENVIRONMENT: "test",
      DATABASE_URL: database.url,
      DATABASE_WS_PROXY: `127.0.0.1:${proxy.port}/v1`,
      JWT_SECRET: TEST_JWT_SECRET,
      PAYMENT_CHANNEL_SECRETS: JSON.stringify(TEST_CHANNEL_SECRETS),
    },
    logLevel: "error",
    experimental: { disableExperimentalWarning: true },
  });
});

afterAll(async () => {
  await worker?.stop();
  await database?.close();
  await closeNodeProxy();
});

describe("a payment settled through the channel webhook, in workerd", () => {
  it("reaches a subscribed local endpoint within seconds", async () => {
    const receiver = await startReceiver();
    try {
      const admin = { "content-type": "application/json", ...(await bearer({ role: "ADMIN" })) };
      const call = async <T>(query: string, variables: Record<string, unknown>) => {
        const response = await worker.fetch("/graphql", {
          method: "POST",
          headers: admin,
          body: JSON.stringify({ query, variables }),
        });
        return ((await response.json()) as { data: T }).data;
      };
      const created = await call<{ createWebhookEndpoint: { userErrors: unknown[] } }>(
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }",
        { input: { url: receiver.url, eventTypes: ["PAYMENT_SETTLED"] } },
      );
      expect(created.createWebhookEndpoint.userErrors).toEqual([]);
      const participant = await givenParticipant(database.db, { paidThrough: month(0) });
      const paid = await call<{ payContribution: { payment: { id: string; amount: string } | null } }>(
        "mutation($input: PayContributionInput!) { payContribution(input: $input) { payment { id amount } } }",
        {
          input: {
            participantId: btoa(`Participant:${participant.id}`),
            months: 1,
            channel: "BRIVA",
            idempotencyKey: `workerd-loop-${participant.id}`,
          },
        },
      );
      const payment = paid.payContribution.payment;
      if (!payment) throw new Error("no payment");

      // The Worker's clock is the wall clock, so the channel signs at the wall clock's time.
      const body = JSON.stringify({
        reference: `BRIVA-WORKERD-${participant.id}`,
        paymentId: payment.id,
        status: "SETTLED",
        amount: payment.amount,
        currency: "IDR",
      });
      const settled = await worker.fetch("/webhooks/payments/BRIVA", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-signature": await signNotification(body, TEST_CHANNEL_SECRETS.BRIVA, new Date()),
        },
        body,
      });
      expect(await settled.json()).toMatchObject({ outcome: "APPLIED" });

      const settledAt = Date.now();
      for (let waited = 0; receiver.delivered().length === 0 && waited < 10_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(receiver.delivered().map((event) => event.type)).toEqual(["payment.settled"]);
      expect(Date.now() - settledAt).toBeLessThan(10_000);
    } finally {
      await receiver.close();
    }
  });
});
