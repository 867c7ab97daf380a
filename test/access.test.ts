import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryRateLimiter } from "../src/http/rate-limit";
import { generateApiKey } from "../src/modules/credentials/api-keys";
import { insertApiKey, revokeApiKey } from "../src/modules/credentials/store";
import { bearer, dataOf, startTestApi, TEST_JWT_SECRET, type TestApi, TODAY } from "./testkit/api";
import { month } from "./testkit/dates";
import { givenParticipant, givenSettledPayment, givenSponsor } from "./testkit/fixtures";

let api: TestApi;
const ids: Record<string, string> = {};
const raw: Record<string, number> = {};
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
type Caller = { name: string; headers: () => Promise<Record<string, string>> };

beforeAll(async () => {
  api = await startTestApi();
  const a = await givenSponsor(api.db, { name: "A Sponsor" });
  const b = await givenSponsor(api.db, { name: "B Sponsor" });
  raw.sponsorA = a.id;
  ids.sponsorB = gid("Sponsor", b.id);
  const jakarta = await givenParticipant(api.db, {
    fullName: "Jakarta Sponsored",
    villageCode: "31.71.01.1001",
    sponsorId: a.id,
    nik: "3171014101900001",
  });
  const bandung = await givenParticipant(api.db, {
    fullName: "Bandung Sponsored",
    villageCode: "32.73.01.1001",
    sponsorId: b.id,
  });
  const own = await givenParticipant(api.db, { fullName: "Jakarta Self", villageCode: "31.71.02.1001" });
  raw.jakarta = jakarta.id;
  ids.bandung = gid("Participant", bandung.id);
  const paid = [];
  for (const p of [jakarta, bandung, own]) paid.push(await givenSettledPayment(api.db, p.id, month(-1)));
  ids.jakartaPayment = gid("Payment", paid[0]?.id ?? 0);
  ids.bandungPayment = gid("Payment", paid[1]?.id ?? 0);
});
afterAll(async () => api?.close());

const callers: Record<string, Caller> = {
  anonymous: { name: "anonymous", headers: async () => ({}) },
  admin: { name: "ADMIN", headers: () => bearer({ role: "ADMIN" }) },
  officer: { name: "OFFICER in 31", headers: () => bearer({ role: "OFFICER", region: "31" }) },
  sponsor: { name: "SPONSOR A", headers: () => bearer({ role: "SPONSOR", sponsorId: raw.sponsorA }) },
  participant: {
    name: "PARTICIPANT (Jakarta Sponsored)",
    headers: () => bearer({ role: "PARTICIPANT", participantId: raw.jakarta }),
  },
  partnerReader: {
    name: "PARTNER with participants:read",
    headers: () => bearer({ role: "PARTNER", scopes: ["participants:read"] }),
  },
  partner: {
    name: "PARTNER without read scopes",
    headers: () => bearer({ role: "PARTNER", scopes: ["payments:write"] }),
  },
};

type Outcome = string[] | number | string;
async function run(query: string, variables: Record<string, unknown>, caller: Caller, pick: (data: never) => Outcome) {
  const response = await api.graphql(query, variables, await caller.headers());
  const code = response.errors?.[0]?.extensions?.code;
  if (typeof code === "string") return code;
  return pick(response.data as never);
}

const operations: {
  name: string;
  query: string;
  variables?: () => Record<string, unknown>;
  pick: (d: never) => Outcome;
  expected: Record<keyof typeof callers, Outcome>;
}[] = [
  {
    name: "participants list",
    query: "{ participants(first: 10, orderBy: FULL_NAME_ASC) { totalCount nodes { fullName } } }",
    pick: (d: { participants: { totalCount: number; nodes: { fullName: string }[] } }) => {
      expect(d.participants.totalCount).toBe(d.participants.nodes.length);
      return d.participants.nodes.map((n) => n.fullName);
    },
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: ["Bandung Sponsored", "Jakarta Self", "Jakarta Sponsored"],
      officer: ["Jakarta Self", "Jakarta Sponsored"],
      sponsor: ["Jakarta Sponsored"],
      participant: ["Jakarta Sponsored"],
      partnerReader: ["Bandung Sponsored", "Jakarta Self", "Jakarta Sponsored"],
      partner: [],
    },
  },
  {
    name: "participant in Bandung sponsored by B",
    query: "query ($id: ID!) { participant(id: $id) { fullName } }",
    variables: () => ({ id: ids.bandung }),
    pick: (d: { participant: { fullName: string } }) => [d.participant.fullName],
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: ["Bandung Sponsored"],
      officer: "FORBIDDEN",
      sponsor: "FORBIDDEN",
      participant: "FORBIDDEN",
      partnerReader: ["Bandung Sponsored"],
      partner: "FORBIDDEN",
    },
  },
  {
    name: "the same participant as a Relay node",
    query: "query ($id: ID!) { node(id: $id) { ... on Participant { fullName } } }",
    variables: () => ({ id: ids.bandung }),
    pick: (d: { node: { fullName: string } }) => [d.node.fullName],
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: ["Bandung Sponsored"],
      officer: "FORBIDDEN",
      sponsor: "FORBIDDEN",
      participant: "FORBIDDEN",
      partnerReader: ["Bandung Sponsored"],
      partner: "FORBIDDEN",
    },
  },
  {
    name: "payments as Relay nodes, without their participants in the request (looked up in one batch)",
    query: `query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Payment { amount } } }`,
    variables: () => ({ ids: [ids.jakartaPayment, ids.bandungPayment] }),
    pick: (d: { nodes: ({ amount: string } | null)[] }) => d.nodes.map((n) => (n ? "visible" : "hidden")),
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: ["visible", "visible"],
      officer: "FORBIDDEN",
      sponsor: "FORBIDDEN",
      participant: "FORBIDDEN",
      partnerReader: ["visible", "visible"],
      partner: "FORBIDDEN",
    },
  },
  {
    name: "a payment in the caller's reach, as a Relay node",
    query: `query ($id: ID!) { node(id: $id) { ... on Payment { amount } } }`,
    variables: () => ({ id: ids.jakartaPayment }),
    pick: (d: { node: { amount: string } | null }) => (d.node ? "visible" : "hidden"),
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: "visible",
      officer: "visible",
      sponsor: "visible",
      participant: "visible",
      partnerReader: "visible",
      partner: "FORBIDDEN",
    },
  },
  {
    name: "payments list",
    query: "{ payments(first: 10) { totalCount nodes { participant { fullName } } } }",
    pick: (d: { payments: { totalCount: number; nodes: unknown[] } }) => {
      expect(d.payments.totalCount).toBe(d.payments.nodes.length);
      return d.payments.totalCount;
    },
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: 3,
      officer: 2,
      sponsor: 1,
      participant: 1,
      partnerReader: 3,
      partner: 0,
    },
  },
  {
    name: "sponsors list",
    query: "{ sponsors(first: 10) { totalCount nodes { name } } }",
    pick: (d: { sponsors: { nodes: { name: string }[] } }) => d.sponsors.nodes.map((s) => s.name),
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: ["A Sponsor", "B Sponsor"],
      officer: ["A Sponsor", "B Sponsor"],
      sponsor: ["A Sponsor"],
      participant: [],
      partnerReader: [],
      partner: [],
    },
  },
  {
    name: "sponsor B",
    query: "query ($id: ID!) { sponsor(id: $id) { name } }",
    variables: () => ({ id: ids.sponsorB }),
    pick: (d: { sponsor: { name: string } }) => [d.sponsor.name],
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: ["B Sponsor"],
      officer: ["B Sponsor"],
      sponsor: "FORBIDDEN",
      participant: "FORBIDDEN",
      partnerReader: "FORBIDDEN",
      partner: "FORBIDDEN",
    },
  },
  {
    name: "regions",
    query: "{ regions { code } }",
    pick: (d: { regions: unknown[] }) => d.regions.length,
    expected: {
      anonymous: "UNAUTHENTICATED",
      admin: 38,
      officer: 38,
      sponsor: 38,
      participant: 38,
      partnerReader: 38,
      partner: 38,
    },
  },
  {
    name: "ecosystems (public)",
    query: "{ ecosystems { code } }",
    pick: (d: { ecosystems: unknown[] }) => d.ecosystems.length,
    expected: { anonymous: 5, admin: 5, officer: 5, sponsor: 5, participant: 5, partnerReader: 5, partner: 5 },
  },
  {
    name: "viewer",
    query: "{ viewer { role } }",
    pick: (d: { viewer: { role: string } | null }) => d.viewer?.role ?? "nobody",
    expected: {
      anonymous: "nobody",
      admin: "ADMIN",
      officer: "OFFICER",
      sponsor: "SPONSOR",
      participant: "PARTICIPANT",
      partnerReader: "PARTNER",
      partner: "PARTNER",
    },
  },
];

describe.each(operations)("$name", (operation) => {
  it.each(Object.entries(operation.expected))("as %s", async (callerKey, expected) => {
    const caller = callers[callerKey as keyof typeof callers] as Caller;
    const outcome = await run(operation.query, operation.variables?.() ?? {}, caller, operation.pick);
    expect(outcome).toEqual(expected);
  });
});

describe("payments reached without their participant", () => {
  it("look their participants up in one statement, and none when reached through the participant", async () => {
    const reader = await bearer({ role: "PARTNER", scopes: ["participants:read"] });
    const visibilityReads = () => api.statements.filter((q) => /^select .* from "participants" .* in \(/.test(q));
    api.statements.length = 0;
    const byId = await api.graphql<{ nodes: unknown[] }>(
      `query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Payment { amount } } }`,
      { ids: [ids.jakartaPayment, ids.bandungPayment] },
      reader,
    );
    expect(byId.errors).toBeUndefined();
    expect(visibilityReads()).toHaveLength(1);
    api.statements.length = 0;
    const throughParticipants = await api.graphql(
      "{ participants(first: 10) { nodes { payments(first: 3) { nodes { amount } } } } }",
      {},
      reader,
    );
    expect(throughParticipants.errors).toBeUndefined();
    expect(visibilityReads()).toHaveLength(0);
  });
});

describe("personal data", () => {
  const query = '{ participants(first: 1, filter: { search: "Jakarta Spo" }) { nodes { nik phone } } }';
  it("shows NIK and phone to holders of pii:read (ADMIN holds every scope)", async () => {
    const data = dataOf(await api.graphql<{ participants: { nodes: { nik: string; phone: string }[] } }>(query));
    expect(data.participants.nodes[0]).toEqual({ nik: "3171014101900001", phone: "+6281234567890" });
    const officer = await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] });
    const asOfficer = dataOf(await api.graphql<{ participants: { nodes: { nik: string }[] } }>(query, {}, officer));
    expect(asOfficer.participants.nodes[0]?.nik).toBe("3171014101900001");
  });

  it("masks them for everyone else", async () => {
    const sponsor = await bearer({ role: "SPONSOR", sponsorId: raw.sponsorA });
    const data = dataOf(
      await api.graphql<{ participants: { nodes: { nik: string; phone: string }[] } }>(query, {}, sponsor),
    );
    expect(data.participants.nodes[0]).toEqual({ nik: "3171************", phone: "+62812*****890" });
  });

  it("does not let a masked caller find someone by NIK", async () => {
    const sponsor = await bearer({ role: "SPONSOR", sponsorId: raw.sponsorA });
    const q = `{ participants(first: 1, filter: { search: "3171014101900001" }) { totalCount } }`;
    expect(
      dataOf(await api.graphql<{ participants: { totalCount: number } }>(q, {}, sponsor)).participants.totalCount,
    ).toBe(0);
    expect(dataOf(await api.graphql<{ participants: { totalCount: number } }>(q)).participants.totalCount).toBe(1);
  });
});

describe("credentials", () => {
  const query = "{ viewer { role subject scopes } }";
  async function attempt(headers: Record<string, string>) {
    const response = await api.graphql<{ viewer: { role: string; subject: string; scopes: string[] } | null }>(
      query,
      {},
      headers,
    );
    return {
      status: response.status,
      code: response.errors?.[0]?.extensions?.code,
      message: response.errors?.[0]?.message,
      data: response.data,
    };
  }

  it("remembers a verified token only until it expires", async () => {
    // Real time again (a token's lifetime): a token valid for at least one more second (expiry is
    // in whole seconds: `now + 1` could leave a few milliseconds, less than a loaded machine needs).
    const now = Math.floor(Date.now() / 1000);
    const brief = await new SignJWT({ role: "ADMIN" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("brief")
      .setIssuedAt(now)
      .setExpirationTime(now + 2)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const headers = { authorization: `Bearer ${brief}` };
    expect(await attempt(headers)).toMatchObject({ status: 200 });
    // Verified and remembered: asked again at once, it is answered from memory.
    expect(await attempt(headers)).toMatchObject({ status: 200 });
    await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 50));
    expect(await attempt(headers)).toMatchObject({ status: 401, message: "The token has expired" });
  });

  it("rejects a token signed with another secret, an expired token and a malformed header", async () => {
    // A credential's lifetime is real time (the identity provider's clock), not the API's
    // business clock: the one place a test reads the wall clock on purpose (README, "one clock").
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ role: "ADMIN" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode("another-secret-that-is-32-characters-long!!"));
    expect(await attempt({ authorization: `Bearer ${forged}` })).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
      message: "The token is not valid",
    });
    const expired = await new SignJWT({ role: "ADMIN" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("late")
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(await attempt({ authorization: `Bearer ${expired}` })).toMatchObject({
      status: 401,
      message: "The token has expired",
    });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"x","role":"ADMIN"}').toString("base64url")}.`;
    expect(await attempt({ authorization: `Bearer ${unsigned}` })).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
    });
    expect(await attempt({ authorization: "Basic YWRtaW46YWRtaW4=" })).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
    });
  });

  it("rejects a token whose role lacks the claim it needs", async () => {
    expect(await attempt(await bearer({ role: "OFFICER" }))).toMatchObject({
      status: 401,
      message: "An OFFICER token needs a region claim",
    });
  });

  it("accepts a partner API key with its scopes, and refuses it once revoked or altered", async () => {
    const generated = await generateApiKey();
    await insertApiKey(api.db, {
      name: "Bank Contoh",
      prefix: generated.prefix,
      secretHash: generated.secretHash,
      scopes: ["payments:write", "not:a-scope"],
      createdAt: api.clock.now().toISOString(),
    });
    expect(await attempt({ "x-api-key": generated.key })).toMatchObject({
      status: 200,
      data: { viewer: { role: "PARTNER", subject: `api-key:${generated.prefix}`, scopes: ["payments:write"] } },
    });
    const altered = `${generated.key.slice(0, -1)}${generated.key.endsWith("A") ? "B" : "A"}`;
    expect(await attempt({ "x-api-key": altered })).toMatchObject({ status: 401, message: "The API key is not valid" });
    expect(await attempt({ "x-api-key": "kp_nope" })).toMatchObject({
      status: 401,
      message: "The API key is not valid",
    });
    await revokeApiKey(api.db, generated.prefix, TODAY);
    expect(await attempt({ "x-api-key": generated.key })).toMatchObject({
      status: 401,
      message: "The API key has been revoked",
    });
  });
});

describe("rate limiting", () => {
  it("answers RATE_LIMITED once a caller spends its budget, and keeps other callers' budgets apart", async () => {
    const limited = await startTestApi({ rateLimiter: memoryRateLimiter({ limit: 3, periodSeconds: 60 }) });
    try {
      const query = "{ ecosystems { code } }";
      for (let i = 0; i < 3; i++) expect((await limited.graphql(query, {}, {})).status).toBe(200);
      const refused = await limited.graphql(query, {}, {});
      expect(refused.status).toBe(429);
      expect(refused.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      expect((await limited.graphql(query)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
