import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Unstable_DevWorker } from "wrangler";
import { signNotification } from "../src/modules/payments/signature";
import { bearer, TEST_CHANNEL_SECRETS } from "./testkit/api";
import type { TestDatabase } from "./testkit/database";
import { month } from "./testkit/dates";
import { givenParticipant, testNik } from "./testkit/fixtures";
import { startLocalWorker } from "./testkit/local-worker";
import { startReceiver } from "./testkit/receiver";

/**
 * Partner events end to end in the real runtime: the Worker as wrangler builds it from
 * wrangler.toml (its queue bindings included) runs in workerd, reaches the database through the
 * Neon driver, and its queue handler delivers to a local receiver. Started from Node, so it runs
 * beside the integration tests rather than inside the workerd test pool.
 */
let local: Awaited<ReturnType<typeof startLocalWorker>>;
let worker: Unstable_DevWorker;
let database: TestDatabase;

beforeAll(async () => {
  local = await startLocalWorker();
  ({ worker, database } = local);
  await givenParticipant(database.db, { fullName: "Ani Lestari", paidThrough: month(0) });
});

afterAll(async () => {
  await local?.stop();
});

describe("partner events in workerd", () => {
  it("relays a mutation's event through wrangler's local queue to a signed webhook", async () => {
    const receiver = await startReceiver();
    try {
      const call = async (query: string, variables: Record<string, unknown>) => ({
        data: await local.graphql<Record<string, { userErrors: unknown[] }>>(query, variables),
      });
      const created = await call(
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { signingSecret userErrors { code } } }",
        { input: { url: receiver.url, eventTypes: ["PARTICIPANT_REGISTERED"] } },
      );
      expect(created.data.createWebhookEndpoint?.userErrors).toEqual([]);
      const nik = testNik();
      const registered = await call(
        "mutation($input: RegisterParticipantInput!) { registerParticipant(input: $input) { userErrors { code } } }",
        {
          input: {
            nik,
            fullName: "Budi Santoso",
            segment: "BPU",
            occupation: "Nelayan",
            ecosystem: "VILLAGE",
            villageCode: "31.71.01.1001",
            reportedMonthlyIncome: "1000000",
            programs: ["JKK", "JKM"],
          },
        },
      );
      expect(registered.data.registerParticipant?.userErrors).toEqual([]);
      // After the response, the relay sends to the queue; the Worker's queue handler POSTs it.
      for (let waited = 0; receiver.received.length === 0 && waited < 20_000; waited += 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(receiver.delivered().map((event) => event.type)).toEqual(["participant.registered"]);
      expect(receiver.received[0]?.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    } finally {
      await receiver.close();
    }
  });

  it("verifies a registration's identity through wrangler's local identity queue, with no cron and nothing run by hand", async () => {
    const nik = `317101010190${9997}`; // the offline registry has another name for this serial
    const query = `mutation($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { id identityStatus } userErrors { code } } }`;
    const registered = await local.graphql<{
      registerParticipant: { participant: { id: string; identityStatus: string } | null; userErrors: unknown[] };
    }>(query, {
      input: {
        nik,
        fullName: "Citra Dewi",
        segment: "BPU",
        occupation: "Nelayan",
        ecosystem: "VILLAGE",
        villageCode: "31.71.01.1001",
        reportedMonthlyIncome: "1000000",
        programs: ["JKK", "JKM"],
      },
    });
    expect(registered.registerParticipant?.participant?.identityStatus).toBe("UNVERIFIED");
    const id = registered.registerParticipant?.participant?.id ?? "";
    let status = "UNVERIFIED";
    for (let waited = 0; status === "UNVERIFIED" && waited < 20_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const seen = await local.graphql<{ participant: { identityStatus: string } }>(
        "query($id: ID!) { participant(id: $id) { identityStatus } }",
        { id },
      );
      status = seen.participant?.identityStatus ?? status;
    }
    expect(status).toBe("MISMATCH");
  });

  it("answers a syntax error as the client's mistake, as Node does (one copy of graphql in the bundle)", async () => {
    const response = await worker.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "accept-language": "en", ...(await bearer({ role: "ADMIN" })) },
      body: JSON.stringify({ query: "{ participants(first: 1) { nodes { id }" }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(body.errors[0]?.message).toMatch(/^Syntax Error/);
  });

  it("delivers a payment settled through the channel webhook within seconds: no cron, nothing run by hand", async () => {
    const receiver = await startReceiver();
    try {
      const created = await local.graphql<{ createWebhookEndpoint: { userErrors: unknown[] } }>(
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }",
        { input: { url: receiver.url, eventTypes: ["PAYMENT_SETTLED"] } },
      );
      expect(created.createWebhookEndpoint.userErrors).toEqual([]);
      const participant = await givenParticipant(database.db, { paidThrough: month(0) });
      const paid = await local.graphql<{ payContribution: { payment: { id: string; amount: string } | null } }>(
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
      // The route relays the outbox after answering; the queue handler POSTs it (10 s at most).
      for (let waited = 0; receiver.delivered().length === 0 && waited < 10_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(receiver.delivered().map((event) => event.type)).toEqual(["payment.settled"]);
    } finally {
      await receiver.close();
    }
  });
});
