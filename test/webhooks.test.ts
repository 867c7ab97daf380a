import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { count, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { outboxEvents, participants, sponsorships, webhookDeliveries, webhookEndpoints } from "../src/db/tables";
import { type DeliveryPolicy, deliverBatch } from "../src/modules/events/delivery";
import { InProcessQueue } from "../src/modules/events/memory-queue";
import type { DeliveryMessage, QueueProducer } from "../src/modules/events/queue";
import { relayOutbox } from "../src/modules/events/relay";
import { eventCalendarSteps, pruneEvents } from "../src/modules/events/schedule";
import { claimDelivery } from "../src/modules/events/store";
import { recordParticipantEvent } from "../src/modules/participants/events";
import { regionCodesAt } from "../src/modules/regions/service";
import { bearer, dataOf, startTestApi, TEST_WEBHOOK_SECRET_KEY, type TestApi, TODAY } from "./testkit/api";
import { at, dateIn, instantDaysFromToday, lastDateOf, month, year } from "./testkit/dates";
import { givenParticipant, givenPartnerKey, givenSponsor, registrationInput, testNik } from "./testkit/fixtures";
import { runSteps } from "./testkit/jobs";
import { type Answer, testDeliveryPolicy as policy, startReceiver } from "./testkit/receiver";

/**
 * A receiver's check, written from the Standard Webhooks specification (not from our signer):
 * base64-decode the secret after `whsec_`, HMAC-SHA256 `${id}.${timestamp}.${body}`, compare in
 * constant time with any `v1,` signature, and refuse timestamps more than 5 minutes away from
 * `now`: the receiver's time, which in these tests is the time the test's clock says (TODAY, or
 * wherever the test moved it), not the wall clock, since delivery signs at the API clock's time.
 */
function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  now: Date = api.clock.now(),
): boolean {
  const id = String(headers["webhook-id"] ?? "");
  const timestamp = String(headers["webhook-timestamp"] ?? "");
  const signatures = String(headers["webhook-signature"] ?? "");
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(now.getTime() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
  // Each test starts with no endpoints, an empty outbox, and the clock back at TODAY.
  const now = api.clock.now().toISOString();
  await api.db.execute(sql`update webhook_endpoints set deleted_at = ${now} where deleted_at is null`);
  await api.db.execute(sql`update outbox_events set relayed_at = ${now} where relayed_at is null`);
  api.setToday(TODAY);
});

async function receiver(answer?: (index: number, body: string) => Answer) {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
}

const gid = (type: string, id: number) => btoa(`${type}:${id}`);

/** The daily job's event calendar at `now`, province by province, as the job runs it. */
async function calendar(now: Date): Promise<void> {
  await runSteps(api.db, eventCalendarSteps(now, await regionCodesAt(api.db, "PROVINCE")), now);
}

const CREATE = `mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    webhookEndpoint { id url eventTypes status paymentDueDays }
    signingSecret
    userErrors { field code message }
  }
}`;

type Created = {
  createWebhookEndpoint: {
    webhookEndpoint: { id: string; url: string; eventTypes: string[]; status: string } | null;
    signingSecret: string | null;
    userErrors: { field: string[] | null; code: string }[];
  };
};

async function subscribe(input: Record<string, unknown>, headers?: Record<string, string>) {
  const { createWebhookEndpoint } = dataOf(await api.graphql<Created>(CREATE, { input }, headers));
  expect(createWebhookEndpoint.userErrors).toEqual([]);
  const endpoint = createWebhookEndpoint.webhookEndpoint;
  if (!endpoint || !createWebhookEndpoint.signingSecret) throw new Error("no endpoint");
  return { id: endpoint.id, secret: createWebhookEndpoint.signingSecret };
}

/** The Worker's path in one process: relay the outbox, then consume the queue until it is empty. */
async function flush(
  queue = new InProcessQueue<DeliveryMessage>(),
  dlq = new InProcessQueue<DeliveryMessage>(),
  rules: DeliveryPolicy = policy,
) {
  await relayOutbox(api.db, queue, { now: api.clock.now() });
  await queue.drain((batch) =>
    deliverBatch(
      {
        db: api.db,
        deadLetters: dlq,
        policy: rules,
        log: () => {},
        secretKey: TEST_WEBHOOK_SECRET_KEY,
        now: () => api.clock.now(),
      },
      batch,
    ),
  );
  return { queue, dlq };
}

const REGISTER = `mutation R($input: RegisterParticipantInput!) {
  registerParticipant(input: $input) { participant { id nik } userErrors { code } }
}`;
async function register(input = registrationInput(), headers?: Record<string, string>) {
  const result = await api.graphql<{ registerParticipant: { participant: { id: string } | null } }>(
    REGISTER,
    { input },
    headers,
  );
  return dataOf(result).registerParticipant.participant;
}

const PAY = `mutation P($input: PayContributionInput!) { payContribution(input: $input) { payment { id } userErrors { code } } }`;
const SETTLE = `mutation S($input: SettlePaymentInput!) { settlePayment(input: $input) { payment { status } userErrors { code } } }`;

async function payAndSettle(participantId: string, key: string) {
  const paid = dataOf(
    await api.graphql<{ payContribution: { payment: { id: string } } }>(PAY, {
      input: { participantId, months: 1, channel: "BRIVA", idempotencyKey: key },
    }),
  );
  const paymentId = paid.payContribution.payment.id;
  dataOf(await api.graphql(SETTLE, { input: { paymentId, outcome: "SETTLED", amount: "16800" } }));
  return paymentId;
}

describe("webhook endpoints", () => {
  it("are created by ADMIN or an API key, with the signing secret shown once", async () => {
    const hook = await receiver();
    const { id, secret } = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = dataOf(
      await api.graphql<{ webhookEndpoints: { id: string; status: string }[] }>(
        "{ webhookEndpoints { id status eventTypes url } }",
      ),
    );
    expect(listed.webhookEndpoints).toContainEqual(expect.objectContaining({ id, status: "ACTIVE" }));
    expect(JSON.stringify(listed)).not.toContain(secret);

    const partner = (await givenPartnerKey(api, ["participants:read"])).headers;
    await subscribe({ url: hook.url, eventTypes: ["PAYMENT_SETTLED"] }, partner);
    // The partner lists only its own.
    const own = dataOf(await api.graphql<{ webhookEndpoints: unknown[] }>("{ webhookEndpoints { id } }", {}, partner));
    expect(own.webhookEndpoints).toHaveLength(1);
  });

  it("are refused to people's tokens other than ADMIN", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31" });
    const response = await api.graphql(
      CREATE,
      { input: { url: "https://x.example", eventTypes: ["PAYMENT_SETTLED"] } },
      officer,
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await api.db.$count(webhookEndpoints, sql`deleted_at is null`)).toBe(0);
  });

  it("answer bad input field by field and create nothing", async () => {
    const bad = await api.graphql<Created>(CREATE, {
      input: { url: "ftp://user:pw@example.com/x", eventTypes: [], paymentDueDays: 40, regionCode: "DKI" },
    });
    const codes = dataOf(bad).createWebhookEndpoint.userErrors.map((e) => e.field?.join("."));
    expect(codes).toEqual(
      expect.arrayContaining(["input.url", "input.eventTypes", "input.paymentDueDays", "input.regionCode"]),
    );
    expect(dataOf(bad).createWebhookEndpoint.signingSecret).toBeNull();
    expect(await api.db.$count(webhookEndpoints, sql`deleted_at is null`)).toBe(0);
  });

  it("can be paused (deliveries held), resumed (held ones sent) and deleted", async () => {
    const hook = await receiver();
    const { id } = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    const change = (name: string) =>
      api.graphql<Record<string, { webhookEndpoint: { status: string; pausedReason: string | null } }>>(
        `mutation($input: WebhookEndpointIdInput!) { ${name}(input: $input) { webhookEndpoint { status pausedReason } userErrors { code } } }`,
        { input: { id } },
      );
    expect(dataOf(await change("pauseWebhookEndpoint")).pauseWebhookEndpoint?.webhookEndpoint.status).toBe("PAUSED");
    await register();
    await flush();
    expect(hook.received).toHaveLength(0);
    expect(dataOf(await change("resumeWebhookEndpoint")).resumeWebhookEndpoint?.webhookEndpoint.status).toBe("ACTIVE");
    await flush();
    expect(hook.delivered().map((e) => e.type)).toEqual(["participant.registered"]);
    await change("deleteWebhookEndpoint");
    await register();
    await flush();
    expect(hook.received).toHaveLength(1);
    const gone = await change("pauseWebhookEndpoint");
    expect(JSON.stringify(gone.data)).toContain("NOT_FOUND");
  });
});

async function liveDeliveryStatuses() {
  const rows = await api.db
    .select({ status: webhookDeliveries.status, n: count() })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(sql`${webhookEndpoints.deletedAt} is null`)
    .groupBy(webhookDeliveries.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

describe("delivery", () => {
  it("POSTs each change as a signed, versioned event, in order per participant", async () => {
    const hook = await receiver();
    const { secret } = await subscribe({
      url: hook.url,
      eventTypes: [
        "PARTICIPANT_REGISTERED",
        "PAYMENT_CREATED",
        "PAYMENT_SETTLED",
        "PAYMENT_REFUNDED",
        "PARTICIPANT_STATUS_CHANGED",
      ],
    });
    const worker = await register();
    if (!worker) throw new Error("not registered");
    const paymentId = await payAndSettle(worker.id, `wh-${Date.now()}`);
    dataOf(await api.graphql(SETTLE, { input: { paymentId, outcome: "REFUNDED" } }));
    await flush();

    const events = hook.delivered();
    expect(events.map((e) => e.type)).toEqual([
      "participant.registered",
      "payment.created",
      "payment.settled",
      "participant.status_changed",
      "payment.refunded",
    ]);
    for (const request of hook.received) {
      expect(verifyStandardWebhook(secret, request.headers, request.body)).toBe(true);
      // A tampered body fails the same check.
      expect(verifyStandardWebhook(secret, request.headers, `${request.body} `)).toBe(false);
    }
    expect(events[0]).toMatchObject({
      type: "participant.registered",
      version: 1,
      data: { participant: { id: worker.id } },
    });
    expect(events[2]?.data).toMatchObject({ payment: { id: paymentId, status: "SETTLED", participantId: worker.id } });
    expect(events[3]?.data).toMatchObject({ previousStatus: "PENDING", status: "ACTIVE" });
    expect(events[4]?.data).toMatchObject({ payment: { id: paymentId, status: "REFUNDED", refundedAmount: "0" } });
    expect(hook.received.map((r) => r.headers["webhook-id"])).toEqual(events.map((e) => e.id));
  });

  it("masks the NIK and phone unless the subscriber holds pii:read", async () => {
    const plain = await receiver();
    const withPii = await receiver();
    await subscribe(
      { url: plain.url, eventTypes: ["PARTICIPANT_REGISTERED"] },
      (await givenPartnerKey(api, ["participants:read"])).headers,
    );
    await subscribe(
      { url: withPii.url, eventTypes: ["PARTICIPANT_REGISTERED"] },
      (await givenPartnerKey(api, ["participants:read", "pii:read"])).headers,
    );
    const nik = testNik();
    await register(registrationInput(nik));
    await flush();
    expect(plain.delivered()[0]?.data.participant).toMatchObject({
      nik: `${nik.slice(0, 4)}************`,
      phone: "+62812*****890",
    });
    expect(JSON.stringify(plain.received)).not.toContain(nik);
    expect(withPii.delivered()[0]?.data.participant).toMatchObject({ nik });
  });

  it("sends a subscriber only events about workers it may read", async () => {
    const sponsor = await givenSponsor(api.db);
    const other = await givenSponsor(api.db);
    const sponsorHook = await receiver();
    const officerHook = await receiver();
    await subscribe(
      { url: sponsorHook.url, eventTypes: ["PARTICIPANT_UPDATED"] },
      (await givenPartnerKey(api, [], sponsor.id)).headers,
    );
    // An ADMIN endpoint narrowed to one region.
    await subscribe({ url: officerHook.url, eventTypes: ["PARTICIPANT_UPDATED"], regionCode: "32" });
    const own = await givenParticipant(api.db, { sponsorId: sponsor.id });
    const foreign = await givenParticipant(api.db, { sponsorId: other.id, villageCode: "32.73.01.1001" });
    for (const worker of [own, foreign]) {
      dataOf(
        await api.graphql(
          `mutation($input: UpdateParticipantInput!) { updateParticipant(input: $input) { userErrors { code } } }`,
          { input: { id: gid("Participant", worker.id), occupation: "Nelayan" } },
        ),
      );
    }
    await flush();
    const ids = (hook: typeof sponsorHook) => hook.delivered().map((e) => (e.data.participant as { id: string }).id);
    expect(ids(sponsorHook)).toEqual([gid("Participant", own.id)]);
    expect(ids(officerHook)).toEqual([gid("Participant", foreign.id)]);
    expect(sponsorHook.delivered()[0]?.data.changedFields).toEqual(["occupation", "riskLevel"]);
  });

  it("retries after 500s and timeouts with backoff, keeping the webhook-id, and records every attempt", async () => {
    const hook = await receiver((index) => (index === 0 ? 500 : index === 1 ? "hang" : 200));
    const { id: endpointId } = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    const { queue } = await flush();
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(queue.retryDelays).toEqual([10, 40]);

    const listed = dataOf(
      await api.graphql<{
        webhookDeliveries: {
          totalCount?: number;
          nodes: {
            status: string;
            attemptCount: number;
            attempts: { attempt: number; statusCode: number | null; outcome: string }[];
          }[];
        };
      }>(
        `query($filter: WebhookDeliveryFilter) { webhookDeliveries(first: 10, filter: $filter) {
          nodes { status attemptCount webhookId attempts { attempt statusCode outcome latencyMs } } } }`,
        { filter: { endpointId, status: "DELIVERED" } },
      ),
    );
    expect(listed.webhookDeliveries.nodes).toHaveLength(1);
    expect(listed.webhookDeliveries.nodes[0]).toMatchObject({
      status: "DELIVERED",
      attemptCount: 3,
      attempts: [
        { attempt: 1, statusCode: 500, outcome: "HTTP_ERROR" },
        { attempt: 2, statusCode: null, outcome: "TIMEOUT" },
        { attempt: 3, statusCode: 200, outcome: "DELIVERED" },
      ],
    });
  });

  it("dead-letters a delivery after its last attempt", async () => {
    const hook = await receiver(() => 500);
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    const { dlq, queue } = await flush(undefined, undefined, { ...policy, autoPauseAfter: 100 });
    expect(hook.received).toHaveLength(4);
    expect(queue.retryDelays).toEqual([10, 40, 160]);
    expect(dlq.size).toBe(1);
    expect(await liveDeliveryStatuses()).toEqual({ DEAD: 1 });
  });

  it("pauses an endpoint that keeps failing and says why; its later events are held, not lost", async () => {
    const hook = await receiver(() => 500);
    const { id } = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    for (let i = 0; i < 3; i++) await register();
    await flush();
    // Six failed attempts in a row (policy.autoPauseAfter), then nothing more is sent.
    expect(hook.received).toHaveLength(6);
    expect(await liveDeliveryStatuses()).toEqual({ HELD: 3 });
    const endpoints = dataOf(
      await api.graphql<{ webhookEndpoints: { id: string; status: string; pausedReason: string }[] }>(
        "{ webhookEndpoints { id status pausedReason } }",
      ),
    );
    const paused = endpoints.webhookEndpoints.find((e) => e.id === id);
    expect(paused?.status).toBe("PAUSED");
    expect(paused?.pausedReason).toMatch(/6 failed attempts in a row.*HTTP 500/);
  });

  it("keeps a worker's events in order while an earlier one is being retried", async () => {
    let failedFirst = false;
    const hook = await receiver((_index, body) => {
      if (!failedFirst && body.includes("participant.registered")) {
        failedFirst = true;
        return 500;
      }
      return 200;
    });
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED", "PARTICIPANT_UPDATED"] });
    const worker = await register();
    if (!worker) throw new Error("not registered");
    dataOf(
      await api.graphql(
        `mutation($input: UpdateParticipantInput!) { updateParticipant(input: $input) { userErrors { code } } }`,
        { input: { id: worker.id, occupation: "Pedagang pasar" } },
      ),
    );
    await flush();
    expect(hook.delivered().map((e) => e.type)).toEqual(["participant.registered", "participant.updated"]);
  });
});

describe("the outbox", () => {
  it("holds no event of a rolled-back transaction, nor of a refused mutation", async () => {
    const before = await api.db.$count(outboxEvents);
    const row = await givenParticipant(api.db);
    await expect(
      api.db.transaction(async (tx) => {
        await recordParticipantEvent(tx, "participant.updated", row, new Date(TODAY));
        throw new Error("the change fails after its event was written");
      }),
    ).rejects.toThrow("the change fails");
    const refused = await api.graphql<{ registerParticipant: { userErrors: { code: string }[] } }>(REGISTER, {
      input: { ...registrationInput(), nik: "1234" },
    });
    expect(dataOf(refused).registerParticipant.userErrors[0]?.code).toBe("INVALID_NIK");
    expect(await api.db.$count(outboxEvents)).toBe(before);
  });

  it("loses nothing when the relay dies between commit and send, and delivers a resent message once", async () => {
    const hook = await receiver();
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    await register();
    const dead: QueueProducer<DeliveryMessage> = {
      send: () => Promise.reject(new Error("isolate evicted")),
      sendBatch: () => Promise.reject(new Error("isolate evicted")),
    };
    await expect(relayOutbox(api.db, dead, { now: api.clock.now() })).rejects.toThrow("isolate evicted");
    expect(await api.db.$count(webhookDeliveries, sql`queued_at is null and status = 'PENDING'`)).toBe(2);

    // Sent, then the process dies before marking them queued: the next relay sends them again.
    const queue = new InProcessQueue<DeliveryMessage>();
    const sentThenDied: QueueProducer<DeliveryMessage> = {
      send: (body) => queue.send(body),
      sendBatch: async (messages) => {
        await queue.sendBatch(messages);
        throw new Error("isolate evicted after sending");
      },
    };
    await expect(relayOutbox(api.db, sentThenDied, { now: api.clock.now() })).rejects.toThrow("after sending");
    await flush(queue);
    expect(queue.sent).toBe(4);
    expect(hook.delivered().map((e) => e.type)).toEqual(["participant.registered", "participant.registered"]);
    expect(new Set(hook.received.map((r) => r.headers["webhook-id"])).size).toBe(2);
  });
});

describe("a consumer that dies mid-attempt", () => {
  it("leaves its message to be retried when the lease runs out, not dropped", async () => {
    const hook = await receiver();
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    const queue = new InProcessQueue<DeliveryMessage>();
    await relayOutbox(api.db, queue, { now: api.clock.now() });
    const [open] = await api.db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(sql`${webhookEndpoints.deletedAt} is null and ${webhookDeliveries.status} = 'PENDING'`);
    if (!open) throw new Error("no delivery");
    // The attempt that died: it took a one-second lease and never finished.
    await claimDelivery(api.db, open.id, 1, api.clock.now());
    const deps = { db: api.db, policy, log: () => {}, secretKey: TEST_WEBHOOK_SECRET_KEY, now: () => api.clock.now() };
    const batch = queue.take();
    await deliverBatch(deps, batch);
    batch.settle();
    expect(hook.received).toHaveLength(0);
    expect(queue.size).toBe(1);
    // The lease runs out on the API's clock (the one that took it), not on the wall clock.
    api.setToday(new Date(api.clock.now().getTime() + 1_100).toISOString());
    await queue.drain((next) => deliverBatch(deps, next));
    expect(hook.delivered().map((e) => e.type)).toEqual(["participant.registered"]);
  });
});

describe("redelivery and replay", () => {
  it("redeliverWebhook and replayEvents send again with the same webhook-id", async () => {
    const hook = await receiver();
    // Narrowed to one regency, so only this test's worker is replayed.
    const { id: endpointId } = await subscribe({
      url: hook.url,
      eventTypes: ["PARTICIPANT_REGISTERED"],
      regionCode: "32.73",
    });
    await register({ ...registrationInput(testNik("32.73.01")), villageCode: "32.73.01.1001" });
    await flush();
    const [first] = hook.received;
    const deliveries = dataOf(
      await api.graphql<{ webhookDeliveries: { nodes: { id: string }[] } }>(
        "{ webhookDeliveries(first: 5) { nodes { id } } }",
      ),
    );
    const deliveryId = deliveries.webhookDeliveries.nodes[0]?.id;
    const again = await api.graphql<{ redeliverWebhook: { delivery: { status: string }; userErrors: unknown[] } }>(
      "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { delivery { status } userErrors { code } } }",
      { input: { deliveryId } },
    );
    expect(dataOf(again).redeliverWebhook.delivery.status).toBe("PENDING");
    await flush();
    const replay = await api.graphql<{ replayEvents: { replayed: number; userErrors: unknown[] } }>(
      "mutation($input: ReplayEventsInput!) { replayEvents(input: $input) { replayed userErrors { field code } } }",
      // Two weeks back: well inside the replay window, before this test's event.
      { input: { endpointId, since: instantDaysFromToday(-14) } },
    );
    expect(dataOf(replay).replayEvents).toEqual({ replayed: 1, userErrors: [] });
    await flush();
    expect(hook.received).toHaveLength(3);
    expect(hook.received.map((r) => r.headers["webhook-id"])).toEqual(Array(3).fill(first?.headers["webhook-id"]));

    const tooOld = await api.graphql<{ replayEvents: { userErrors: { field: string[]; code: string }[] } }>(
      "mutation($input: ReplayEventsInput!) { replayEvents(input: $input) { replayed userErrors { field code } } }",
      // Long before the replay window, whatever day it is.
      { input: { endpointId, since: `${year(-10)}-01-01T00:00:00Z` } },
    );
    expect(dataOf(tooOld).replayEvents.userErrors).toEqual([{ field: ["input", "since"], code: "INVALID_INPUT" }]);
    const otherPartner = (await givenPartnerKey(api, ["participants:read"])).headers;
    const foreign = await api.graphql<{ redeliverWebhook: { userErrors: { code: string }[] } }>(
      "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { userErrors { code } } }",
      { input: { deliveryId } },
      otherPartner,
    );
    expect(dataOf(foreign).redeliverWebhook.userErrors[0]?.code).toBe("NOT_FOUND");
  });

  it("signs with both secrets during a rotation's overlap, and with the new one only after", async () => {
    const hook = await receiver();
    const { id, secret: oldSecret } = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    const rotated = dataOf(
      await api.graphql<{ rotateWebhookSecret: { signingSecret: string } }>(
        "mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { signingSecret userErrors { code } } }",
        { input: { id, overlapHours: 24 } },
      ),
    );
    const newSecret = rotated.rotateWebhookSecret.signingSecret;
    expect(newSecret).not.toBe(oldSecret);
    await register();
    await flush();
    const [during] = hook.received;
    if (!during) throw new Error("nothing delivered");
    expect(verifyStandardWebhook(oldSecret, during.headers, during.body)).toBe(true);
    expect(verifyStandardWebhook(newSecret, during.headers, during.body)).toBe(true);

    // The overlap ended a second before the time the test runs at.
    const justBefore = new Date(api.clock.now().getTime() - 1000).toISOString();
    await api.db.execute(sql`update webhook_endpoints set previous_secret_expires_at = ${justBefore}`);
    await register();
    await flush();
    const after = hook.received[1];
    if (!after) throw new Error("nothing delivered");
    expect(verifyStandardWebhook(newSecret, after.headers, after.body)).toBe(true);
    expect(verifyStandardWebhook(oldSecret, after.headers, after.body)).toBe(false);
    // At rest both were sealed (WEBHOOK_SECRET_KEY): the table alone cannot sign for us.
    const [stored] = await api.db
      .select({ secret: webhookEndpoints.secret, previous: webhookEndpoints.previousSecret })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, Number(Buffer.from(id, "base64").toString().split(":")[1])));
    expect(stored?.secret).toMatch(/^sealed:v1:/);
    expect(stored?.previous).toMatch(/^sealed:v1:/);
    for (const secret of [oldSecret, newSecret]) {
      expect(JSON.stringify(stored)).not.toContain(secret.slice("whsec_".length, "whsec_".length + 16));
    }
  });
});

describe("calendar events (the daily cron)", () => {
  it("emits each month-boundary status change exactly once per participant and transition", async () => {
    const hook = await receiver();
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_STATUS_CHANGED"] });
    // On the 1st of next month: paid through this month slips into GRACE, through two months ago
    // into INACTIVE. The daily job runs at 01:00 WIB on the 1st (still the last UTC day of this
    // month), later that day, and the next day.
    const slipping = await givenParticipant(api.db, { paidThrough: month(0) });
    const lapsing = await givenParticipant(api.db, { paidThrough: month(-2) });
    const steady = await givenParticipant(api.db, { paidThrough: month(-1) });
    for (const day of [at(1, 1, "01:00"), at(1, 1), at(1, 2)]) {
      await calendar(new Date(day));
    }
    await flush();
    const changes = hook
      .delivered()
      .map((e) => [(e.data.participant as { id: string }).id, e.data.previousStatus, e.data.status]);
    expect(changes).toEqual(
      expect.arrayContaining([
        [gid("Participant", slipping.id), "ACTIVE", "GRACE"],
        [gid("Participant", lapsing.id), "GRACE", "INACTIVE"],
      ]),
    );
    const mine = changes.filter(([id]) => [slipping, lapsing, steady].some((p) => gid("Participant", p.id) === id));
    expect(mine).toHaveLength(2);
  });

  it("emits participant.payment_due the subscriber's number of days before the due date, once", async () => {
    const hook = await receiver();
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_PAYMENT_DUE"], paymentDueDays: 5 });
    // Paid through the month after next: due on the 15th of the month after that (three months
    // from now). Not yet on the 9th of that month, from the 10th, once.
    const due = await givenParticipant(api.db, { paidThrough: month(2) });
    await calendar(new Date(at(3, 9)));
    await flush();
    const mine = () =>
      hook.delivered().filter((e) => (e.data.participant as { id: string }).id === gid("Participant", due.id));
    expect(mine()).toHaveLength(0);
    await calendar(new Date(at(3, 10)));
    await calendar(new Date(at(3, 11)));
    await flush();
    expect(mine()).toHaveLength(1);
    expect(mine()[0]?.data).toMatchObject({ dueDate: dateIn(3, 15), daysBefore: 5 });
    expect(await api.db.$count(participants)).toBeGreaterThan(0);
  });
});

describe("sponsor events", () => {
  it("report an enrollment batch, batch payments with the status they moved, and a low budget once", async () => {
    const sponsor = await givenSponsor(api.db);
    const [sponsorship] = await api.db
      .insert(sponsorships)
      .values({
        sponsorId: sponsor.id,
        programs: ["JKK", "JKM"],
        monthsPerPeriod: 1,
        maxParticipants: 10,
        // Two months of one worker's JKK + JKM (Rp16,800 each).
        budget: 33_600n,
        // Running since ten months ago and through next month: today and both months the two
        // batches cover (this month, then next) are inside it.
        startsOn: month(-10),
        endsOn: lastDateOf(1),
        createdAt: api.clock.now().toISOString(),
      })
      .returning();
    if (!sponsorship) throw new Error("no sponsorship");
    const hook = await receiver();
    await subscribe({
      url: hook.url,
      sponsorId: gid("Sponsor", sponsor.id),
      eventTypes: [
        "PARTICIPANT_REGISTERED",
        "SPONSORSHIP_ENROLLED",
        "SPONSORSHIP_BUDGET_LOW",
        "PAYMENT_SETTLED",
        "PARTICIPANT_STATUS_CHANGED",
      ],
    });
    const sponsorshipId = gid("Sponsorship", sponsorship.id);
    dataOf(
      await api.graphql(
        `mutation($input: EnrollSponsoredParticipantsInput!) { enrollSponsoredParticipants(input: $input) { created userErrors { code } } }`,
        { input: { sponsorshipId, idempotencyKey: `enroll-${sponsorship.id}`, participants: [registrationInput()] } },
      ),
    );
    for (const round of [1, 2]) {
      const paid = dataOf(
        await api.graphql<{
          paySponsoredContributions: { batch: { id: string; total: string } | null; userErrors: unknown[] };
        }>(
          `mutation($input: PaySponsoredContributionsInput!) { paySponsoredContributions(input: $input) { batch { id total } userErrors { code } } }`,
          { input: { sponsorshipId, months: 1, idempotencyKey: `batch-${sponsorship.id}-${round}` } },
        ),
      );
      expect(paid.paySponsoredContributions.userErrors).toEqual([]);
      // A batch covers months only when the sponsor's money arrives (issue #15): recorded here by ADMIN.
      const batch = paid.paySponsoredContributions.batch;
      const settled = dataOf(
        await api.graphql<{ settlePaymentBatch: { userErrors: unknown[] } }>(
          `mutation($input: SettlePaymentBatchInput!) { settlePaymentBatch(input: $input) { userErrors { code } } }`,
          { input: { batchId: batch?.id, outcome: "SETTLED", amount: batch?.total } },
        ),
      );
      expect(settled.settlePaymentBatch.userErrors).toEqual([]);
    }
    await flush();
    const events = hook.delivered();
    expect(events.map((e) => e.type)).toEqual([
      "participant.registered",
      "sponsorship.enrolled",
      "payment.settled",
      "participant.status_changed",
      "sponsorship.budget_low",
      "payment.settled",
    ]);
    expect(events[0]?.data).toMatchObject({
      participant: { status: "PENDING", sponsorId: gid("Sponsor", sponsor.id) },
    });
    expect(events[1]?.data).toMatchObject({ sponsorship: { id: sponsorshipId }, enrolled: 1, created: 1 });
    expect(events[3]?.data).toMatchObject({ previousStatus: "PENDING", status: "ACTIVE" });
    expect(events[4]?.data).toMatchObject({ remaining: "0", thresholdPercent: 10 });
  });
});

describe("retention", () => {
  it("forgets relayed events past the retention with their finished deliveries, and keeps open ones", async () => {
    const hook = await receiver(() => 500);
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    await register();
    await flush(undefined, undefined, { ...policy, maxAttempts: 1, autoPauseAfter: 100 });
    // One delivery dead (finished), the other reopened: only the first event may go.
    const [dead, reopened] = await api.db
      .select({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(sql`${webhookEndpoints.deletedAt} is null`)
      .orderBy(webhookDeliveries.id);
    if (!dead || !reopened) throw new Error("two deliveries expected");
    await api.db.execute(sql`update webhook_deliveries set status = 'FAILED' where id = ${reopened.id}`);
    await api.db.execute(
      sql`update outbox_events set occurred_at = ${instantDaysFromToday(-40)} where id in (${dead.eventId}, ${reopened.eventId})`,
    );
    expect(await pruneEvents(api.db, new Date(TODAY))).toBe(1);
    const left = await api.db
      .select({ id: outboxEvents.id })
      .from(outboxEvents)
      .where(sql`${outboxEvents.id} in (${dead.eventId}, ${reopened.eventId})`);
    expect(left.map((row) => row.id)).toEqual([reopened.eventId]);
    expect(await api.db.$count(webhookDeliveries, eq(webhookDeliveries.id, dead.id))).toBe(0);
  });

  it("keeps no event past the retention for a delivery held for a paused endpoint, or owed to a deleted one", async () => {
    const hook = await receiver(() => 500);
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    await register();
    await flush(undefined, undefined, { ...policy, maxAttempts: 1, autoPauseAfter: 100 });
    const [held, owed] = await api.db
      .select({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId, endpointId: webhookEndpoints.id })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookEndpoints.url, hook.url))
      .orderBy(webhookDeliveries.id);
    if (!held || !owed) throw new Error("two deliveries expected");
    await api.db.execute(sql`update webhook_deliveries set status = 'HELD' where id = ${held.id}`);
    await api.db.execute(sql`update webhook_deliveries set status = 'FAILED' where id = ${owed.id}`);
    await api.db.execute(
      sql`update outbox_events set occurred_at = ${instantDaysFromToday(-40)} where id in (${held.eventId}, ${owed.eventId})`,
    );
    const kept = async () =>
      (
        await api.db
          .select({ id: outboxEvents.id })
          .from(outboxEvents)
          .where(sql`${outboxEvents.id} in (${held.eventId}, ${owed.eventId})`)
      ).map((row) => row.id);
    // Held past the retention: a paused partner does not hold the outbox's retention up for everyone.
    await pruneEvents(api.db, new Date(TODAY));
    expect(await kept()).toEqual([owed.eventId]);
    // Its retry still owed, until the endpoint is deleted: then it never goes out.
    await api.db.execute(sql`update webhook_endpoints set deleted_at = ${TODAY} where id = ${owed.endpointId}`);
    expect(await pruneEvents(api.db, new Date(TODAY))).toBe(1);
    expect(await kept()).toEqual([]);
  });
});
