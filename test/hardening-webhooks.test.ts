/**
 * Issue 29, the webhook surface: endpoint URLs checked on creation and again before every POST
 * (finding 1), revocation, deletion and pausing stopping retries and held deliveries (2), replay
 * caps counting only what the endpoint may read (3), and the endpoint cap under concurrency (4).
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEndpoints } from "../src/db/tables";
import { revokeApiKey } from "../src/modules/credentials/store";
import { type DeliveryDeps, deliverBatch, type HostResolver } from "../src/modules/events/delivery";
import { InProcessQueue } from "../src/modules/events/memory-queue";
import type { DeliveryMessage } from "../src/modules/events/queue";
import { relayOutbox } from "../src/modules/events/relay";
import { MAX_ENDPOINTS_PER_OWNER, REPLAY_MAX_EVENTS } from "../src/modules/events/validation";
import { bearer, dataOf, startTestApi, TEST_WEBHOOK_SECRET_KEY, type TestApi } from "./testkit/api";
import { givenParticipant, givenPartnerKey, givenSponsor, registrationInput } from "./testkit/fixtures";
import { type Answer, testDeliveryPolicy as policy, startReceiver } from "./testkit/receiver";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
  // Each test starts with no endpoints and an empty outbox.
  await api.db.execute(sql`update webhook_endpoints set deleted_at = now() where deleted_at is null`);
  await api.db.execute(sql`update outbox_events set relayed_at = now() where relayed_at is null`);
});

async function receiver(answer?: (index: number, body: string) => Answer) {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
}

const rowIdOf = (globalId: string) => Number(Buffer.from(globalId, "base64").toString().split(":")[1]);

const CREATE = `mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    webhookEndpoint { id url status }
    userErrors { field code message }
  }
}`;
type Created = {
  createWebhookEndpoint: {
    webhookEndpoint: { id: string; url: string; status: string } | null;
    userErrors: { field: string[] | null; code: string; message: string }[];
  };
};

async function subscribe(input: Record<string, unknown>, headers?: Record<string, string>) {
  const { createWebhookEndpoint } = dataOf(await api.graphql<Created>(CREATE, { input }, headers));
  expect(createWebhookEndpoint.userErrors).toEqual([]);
  const endpoint = createWebhookEndpoint.webhookEndpoint;
  if (!endpoint) throw new Error("no endpoint");
  return { id: endpoint.id, rowId: rowIdOf(endpoint.id) };
}

/** A worker registered through the API: one `participant.registered` event. */
async function register() {
  const response = await api.graphql<{ registerParticipant: { userErrors: unknown[] } }>(
    `mutation R($input: RegisterParticipantInput!) { registerParticipant(input: $input) { userErrors { code } } }`,
    { input: registrationInput() },
  );
  expect(dataOf(response).registerParticipant.userErrors).toEqual([]);
}

function deps(overrides: Partial<DeliveryDeps> = {}): DeliveryDeps {
  return {
    db: api.db,
    policy,
    log: () => {},
    secretKey: TEST_WEBHOOK_SECRET_KEY,
    now: () => api.clock.now(),
    ...overrides,
  };
}

/** Relays the outbox onto a fresh queue. */
async function relay() {
  const queue = new InProcessQueue<DeliveryMessage>();
  await relayOutbox(api.db, queue, { now: api.clock.now() });
  return queue;
}

/** Relay, then consume the queue until it is empty. */
async function flush(overrides: Partial<DeliveryDeps> = {}) {
  const queue = await relay();
  await queue.drain((batch) => deliverBatch(deps(overrides), batch));
  return queue;
}

/** Relay, and consume only what is due now: a failed attempt leaves its retry on the queue. */
async function firstAttempts() {
  const queue = await relay();
  const batch = queue.take();
  await deliverBatch(deps(), batch);
  batch.settle();
  return queue;
}

async function deliveriesOf(endpointRowId: number) {
  return api.db
    .select({ status: webhookDeliveries.status, attempts: webhookDeliveries.attempts })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointRowId));
}

async function endpointRow(rowId: number) {
  const [row] = await api.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, rowId));
  if (!row) throw new Error(`endpoint ${rowId} missing`);
  return row;
}

/** A GraphQL request to the same app and database with production's settings. */
async function inProduction<T>(query: string, variables: Record<string, unknown>) {
  const response = await api.app.request(
    "/graphql",
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "accept-language": "en",
        ...(await bearer({ role: "ADMIN" })),
      },
      body: JSON.stringify({ query, variables }),
    },
    { ...api.env, ENVIRONMENT: "production" },
  );
  return (await response.json()) as { data?: T; errors?: unknown[] };
}

describe("endpoint URLs (finding 1)", () => {
  it("refuses in production the hosts the attack round got accepted, and stores a URL normalised", async () => {
    for (const url of [
      "https://localhost./x",
      "https://metadata.google.internal./computeMetadata/v1/",
      "https://intranet./x",
      "https://printer.local./x",
      "https://[::127.0.0.1]/x",
      "https://[::169.254.169.254]/latest",
      "https://[64:ff9b::a9fe:a9fe]/latest",
      "https://127.0.0.1.nip.io/x",
      "https://localtest.me/x",
      "https://198.18.0.1/x",
      "https://hooks.partner.example.id/x\r\nX-Injected: 1",
    ]) {
      const answer = await inProduction<Created>(CREATE, { input: { url, eventTypes: ["PAYMENT_SETTLED"] } });
      expect(answer.errors, url).toBeUndefined();
      expect(answer.data?.createWebhookEndpoint.webhookEndpoint, url).toBeNull();
      expect(answer.data?.createWebhookEndpoint.userErrors, url).toEqual([
        expect.objectContaining({ field: ["input", "url"], code: "INVALID_INPUT" }),
      ]);
    }
    const accepted = await inProduction<Created>(CREATE, {
      input: { url: "https://Hooks.Partner.Example.ID./bpjs", eventTypes: ["PAYMENT_SETTLED"] },
    });
    expect(accepted.data?.createWebhookEndpoint.userErrors).toEqual([]);
    expect(accepted.data?.createWebhookEndpoint.webhookEndpoint?.url).toBe("https://hooks.partner.example.id/bpjs");
    expect(await api.db.$count(webhookEndpoints, sql`deleted_at is null`)).toBe(1);
  });

  it("never stores a URL with CR/LF, in any environment", async () => {
    const hook = await receiver();
    const answer = dataOf(
      await api.graphql<Created>(CREATE, {
        input: { url: `${hook.url}\r\nHost: evil`, eventTypes: ["PAYMENT_SETTLED"] },
      }),
    );
    expect(answer.createWebhookEndpoint.userErrors.map((e) => e.field?.join("."))).toEqual(["input.url"]);
    expect(await api.db.$count(webhookEndpoints, sql`deleted_at is null`)).toBe(0);
  });

  it("checks the stored URL again before each production POST, and the address its host resolves to", async () => {
    const hook = await receiver();
    const endpoint = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    const posted: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      posted.push(String(input));
      return new Response(null, { status: 204 });
    };
    const resolvedTo =
      (...addresses: string[]): HostResolver =>
      async () =>
        addresses;
    const resumed = async () => {
      await api.db
        .update(webhookEndpoints)
        .set({ status: "ACTIVE", pausedReason: null, pausedAt: null })
        .where(eq(webhookEndpoints.id, endpoint.rowId));
      await api.db.execute(sql`update webhook_deliveries set status = 'DELIVERED' where status = 'HELD'`);
    };

    // A URL stored before the rule (or by a development server): refused at delivery, not POSTed.
    await api.db
      .update(webhookEndpoints)
      .set({ url: "https://metadata.google.internal./computeMetadata/v1/" })
      .where(eq(webhookEndpoints.id, endpoint.rowId));
    await register();
    await flush({ production: true, fetch, resolveHost: resolvedTo("93.184.215.14") });
    expect(posted).toEqual([]);
    expect(await endpointRow(endpoint.rowId)).toMatchObject({
      status: "PAUSED",
      pausedReason: expect.stringContaining("INTERNAL_NAME"),
    });
    expect(await deliveriesOf(endpoint.rowId)).toEqual([{ status: "HELD", attempts: 0 }]);

    // A public name that resolves to a private address (DNS rebinding, a stale record): refused.
    await resumed();
    await api.db
      .update(webhookEndpoints)
      .set({ url: "https://hooks.partner.example.id/bpjs" })
      .where(eq(webhookEndpoints.id, endpoint.rowId));
    await register();
    await flush({ production: true, fetch, resolveHost: resolvedTo("93.184.215.14", "10.0.0.5") });
    expect(posted).toEqual([]);
    const refused = await endpointRow(endpoint.rowId);
    expect(refused.status).toBe("PAUSED");
    expect(refused.pausedReason).toContain("RESOLVES_TO_SPECIAL_USE_ADDRESS");
    // The partner learns which rule, not what our resolver answered.
    expect(refused.pausedReason).not.toContain("10.0.0.5");

    // A name that does not resolve: a failed attempt (retried), nothing POSTed.
    await resumed();
    await register();
    const failing: HostResolver = async () => {
      throw new Error("getaddrinfo ENOTFOUND hooks.partner.example.id");
    };
    const queue = await relay();
    const batch = queue.take();
    await deliverBatch(deps({ production: true, fetch, resolveHost: failing }), batch);
    batch.settle();
    expect(posted).toEqual([]);
    expect(queue.size).toBe(1);
    expect(await deliveriesOf(endpoint.rowId)).toContainEqual({ status: "FAILED", attempts: 1 });

    // Resolving to public addresses only: posted, to the stored URL.
    await queue.drain((next) =>
      deliverBatch(deps({ production: true, fetch, resolveHost: resolvedTo("93.184.215.14") }), next),
    );
    expect(posted).toEqual(["https://hooks.partner.example.id/bpjs"]);
    expect((await endpointRow(endpoint.rowId)).status).toBe("ACTIVE");
  });

  it("leaves development and test receivers on 127.0.0.1 alone", async () => {
    const hook = await receiver();
    await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
    await register();
    await flush({ production: false, resolveHost: async () => ["127.0.0.1"] });
    expect(hook.delivered().map((event) => event.type)).toEqual(["participant.registered"]);
  });
});

describe("revoked, deleted and paused endpoints (finding 2)", () => {
  it("sends no retry already on the queue once the owner's key is revoked", async () => {
    const hook = await receiver((index) => (index === 0 ? 500 : 200));
    const key = await givenPartnerKey(api, ["participants:read"]);
    const endpoint = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] }, key.headers);
    await register();
    const queue = await firstAttempts();
    expect(hook.received).toHaveLength(1);
    expect(queue.size).toBe(1);

    expect(await revokeApiKey(api.db, key.prefix, api.clock.now().toISOString())).toBe(true);
    await queue.drain((batch) => deliverBatch(deps(), batch));
    expect(hook.received).toHaveLength(1);
    expect(await deliveriesOf(endpoint.rowId)).toEqual([{ status: "FAILED", attempts: 1 }]);
  });

  it("sends no held delivery released after the owner's key was revoked", async () => {
    const hook = await receiver();
    const key = await givenPartnerKey(api, ["participants:read"]);
    const endpoint = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] }, key.headers);
    const change = (name: string, headers?: Record<string, string>) =>
      api.graphql<Record<string, { userErrors: unknown[] }>>(
        `mutation($input: WebhookEndpointIdInput!) { ${name}(input: $input) { userErrors { code } } }`,
        { input: { id: endpoint.id } },
        headers,
      );
    expect(dataOf(await change("pauseWebhookEndpoint", key.headers)).pauseWebhookEndpoint?.userErrors).toEqual([]);
    await register();
    await flush();
    expect(await deliveriesOf(endpoint.rowId)).toEqual([{ status: "HELD", attempts: 0 }]);

    await revokeApiKey(api.db, key.prefix, api.clock.now().toISOString());
    // ADMIN manages every endpoint, so can still resume this one: its held deliveries are released...
    expect(dataOf(await change("resumeWebhookEndpoint")).resumeWebhookEndpoint?.userErrors).toEqual([]);
    await flush();
    // ...and none goes out.
    expect(hook.received).toHaveLength(0);
    expect(await deliveriesOf(endpoint.rowId)).toEqual([{ status: "PENDING", attempts: 0 }]);
  });

  it("sends no retry already on the queue once the endpoint is deleted or paused", async () => {
    for (const change of ["deleteWebhookEndpoint", "pauseWebhookEndpoint"]) {
      const hook = await receiver((index) => (index === 0 ? 500 : 200));
      const endpoint = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] });
      await register();
      const queue = await firstAttempts();
      expect(hook.received, change).toHaveLength(1);
      dataOf(
        await api.graphql(
          `mutation($input: WebhookEndpointIdInput!) { ${change}(input: $input) { userErrors { code } } }`,
          {
            input: { id: endpoint.id },
          },
        ),
      );
      await queue.drain((batch) => deliverBatch(deps(), batch));
      expect(hook.received, change).toHaveLength(1);
      const [delivery] = await deliveriesOf(endpoint.rowId);
      expect(delivery?.status, change).not.toBe("DELIVERED");
      await api.db.execute(sql`update webhook_endpoints set deleted_at = now() where deleted_at is null`);
    }
  });
});

describe("replayEvents' cap (finding 3)", () => {
  const REPLAY = `mutation($input: ReplayEventsInput!) { replayEvents(input: $input) { replayed userErrors { field code } } }`;

  it("counts only the events the endpoint may read", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Replay" });
    const own = await givenParticipant(api.db, { sponsorId: sponsor.id, fullName: "Own Worker" });
    const other = await givenParticipant(api.db, { fullName: "Someone Else's Worker" });
    const key = await givenPartnerKey(api, [], sponsor.id);
    const hook = await receiver();
    const endpoint = await subscribe({ url: hook.url, eventTypes: ["PARTICIPANT_REGISTERED"] }, key.headers);
    const tenMinutesAgo = new Date(api.clock.now().getTime() - 10 * 60_000).toISOString();
    const events = (participantId: number, count: number) =>
      api.db.execute(sql`insert into outbox_events (type, version, participant_id, data, occurred_at, relayed_at)
        select 'participant.registered', 1, ${participantId}, '{}'::jsonb, ${tenMinutesAgo}::timestamptz, ${tenMinutesAgo}::timestamptz
        from generate_series(1, ${count})`);
    await events(own.id, 3);
    await events(other.id, REPLAY_MAX_EVENTS + 1);
    const since = new Date(api.clock.now().getTime() - 60 * 60_000).toISOString();

    // More than 10,000 events about others in the last hour: the partner's own three are replayed.
    const replay = await api.graphql<{ replayEvents: { replayed: number; userErrors: unknown[] } }>(
      REPLAY,
      { input: { endpointId: endpoint.id, since } },
      key.headers,
    );
    expect(dataOf(replay).replayEvents).toEqual({ replayed: 3, userErrors: [] });

    // More than 10,000 of its own: still refused.
    await events(own.id, REPLAY_MAX_EVENTS);
    const tooMany = await api.graphql<{ replayEvents: { replayed: number; userErrors: unknown[] } }>(
      REPLAY,
      { input: { endpointId: endpoint.id, since } },
      key.headers,
    );
    expect(dataOf(tooMany).replayEvents).toEqual({
      replayed: 0,
      userErrors: [{ field: ["input", "since"], code: "TOO_MANY_EVENTS" }],
    });
    await api.db.execute(
      sql`delete from outbox_events where data = '{}'::jsonb and id not in (select event_id from webhook_deliveries)`,
    );
  });
});

describe.runIf(process.env.TEST_DATABASE === "postgres")(
  "the endpoint cap under concurrency (finding 4; real PostgreSQL only: npm run test:deep)",
  () => {
    it("holds at 20 when 40 creations by one key race", async () => {
      const key = await givenPartnerKey(api, ["participants:read"]);
      const hook = await receiver();
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          api.graphql<Created>(
            CREATE,
            { input: { url: `${hook.url}/${i}`, eventTypes: ["PAYMENT_SETTLED"] } },
            key.headers,
          ),
        ),
      );
      const codes = answers.map((answer) =>
        dataOf(answer)
          .createWebhookEndpoint.userErrors.map((e) => e.code)
          .join(),
      );
      expect(codes.filter((code) => code === "")).toHaveLength(MAX_ENDPOINTS_PER_OWNER);
      expect(codes.filter((code) => code === "LIMIT_REACHED")).toHaveLength(40 - MAX_ENDPOINTS_PER_OWNER);
      expect(
        await api.db.$count(webhookEndpoints, sql`deleted_at is null and owner_subject = ${`api-key:${key.prefix}`}`),
      ).toBe(MAX_ENDPOINTS_PER_OWNER);
    });
  },
);
