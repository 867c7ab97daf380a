import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coveredMonths, participants, paymentEvents, payments } from "../src/db/tables";
import { signNotification } from "../src/modules/payments/signature";
import { dataOf, startTestApi, TEST_CHANNEL_SECRETS, type TestApi, TODAY } from "./testkit/api";
import { month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";

/** Races need real PostgreSQL (PGlite runs one statement at a time): this file runs in the postgres project. */
describe.runIf(process.env.TEST_DATABASE === "postgres")(
  "money moves exactly once under concurrency (real PostgreSQL only: npm run test:deep)",
  () => {
    let api: TestApi;
    const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
    const PAY = `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id amount } userErrors { code } } }`;
    type Paid = { payContribution: { payment: { id: string; amount: string } | null; userErrors: { code: string }[] } };

    beforeAll(async () => {
      api = await startTestApi();
    });
    afterAll(async () => api?.close());

    async function notify(body: Record<string, unknown>) {
      const raw = JSON.stringify(body);
      const response = await api.request("/webhooks/payments/BRIVA", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-signature": await signNotification(raw, TEST_CHANNEL_SECRETS.BRIVA, new Date(TODAY)),
        },
        body: raw,
      });
      return { status: response.status, body: (await response.json()) as { outcome: string; duplicate: boolean } };
    }

    it("turns 50 concurrent payContribution calls with one key into one payment", async () => {
      const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
      const input = {
        participantId: gid("Participant", worker.id),
        months: 1,
        channel: "BRIVA",
        idempotencyKey: "race-key-0001",
      };
      const results = await Promise.all(Array.from({ length: 50 }, () => api.graphql<Paid>(PAY, { input })));
      const ids = new Set(results.map((r) => dataOf(r).payContribution.payment?.id));
      expect(ids.size).toBe(1);
      expect(results.every((r) => dataOf(r).payContribution.userErrors.length === 0)).toBe(true);
      expect(await api.db.$count(payments, eq(payments.participantId, worker.id))).toBe(1);
    });

    it("extends coverage once for 50 concurrent settlements of one payment", async () => {
      const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
      const paid = dataOf(
        await api.graphql<Paid>(PAY, {
          input: {
            participantId: gid("Participant", worker.id),
            months: 3,
            channel: "BRIVA",
            idempotencyKey: "race-key-0002",
          },
        }),
      ).payContribution.payment;
      if (!paid) throw new Error("no payment");
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          notify({
            reference: `SETTLE-RACE-${i}`,
            paymentId: paid.id,
            status: "SETTLED",
            amount: paid.amount,
            currency: "IDR",
          }),
        ),
      );
      expect(replies.filter((r) => r.body.outcome === "APPLIED")).toHaveLength(1);
      expect(replies.filter((r) => r.body.outcome === "ALREADY_APPLIED")).toHaveLength(49);
      const [row] = await api.db.select().from(participants).where(eq(participants.id, worker.id));
      expect(row?.paidThrough).toBe(month(2)); // this month and the next two
      expect(await api.db.$count(coveredMonths, eq(coveredMonths.participantId, worker.id))).toBe(3);
    });

    it("applies a webhook replayed 100 times once", async () => {
      const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
      const paid = dataOf(
        await api.graphql<Paid>(PAY, {
          input: {
            participantId: gid("Participant", worker.id),
            months: 1,
            channel: "BRIVA",
            idempotencyKey: "race-key-0003",
          },
        }),
      ).payContribution.payment;
      if (!paid) throw new Error("no payment");
      const body = {
        reference: "REPLAY-0001",
        paymentId: paid.id,
        status: "SETTLED",
        amount: paid.amount,
        currency: "IDR",
      };
      // In waves of 40: PostgreSQL here accepts 100 connections, and each request holds one.
      const replies = [];
      for (let wave = 0; wave < 100; wave += 40) {
        replies.push(...(await Promise.all(Array.from({ length: Math.min(40, 100 - wave) }, () => notify(body)))));
      }
      expect(replies.map((r) => `${r.status} ${r.body.outcome}`)).toEqual(Array(100).fill("200 APPLIED"));
      expect(replies.filter((r) => !r.body.duplicate)).toHaveLength(1);
      expect(await api.db.$count(paymentEvents, eq(paymentEvents.reference, "REPLAY-0001"))).toBe(1);
      expect(await api.db.$count(coveredMonths, eq(coveredMonths.participantId, worker.id))).toBe(1);
    });
  },
);
