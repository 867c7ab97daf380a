import { and, desc, eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, participants, paymentBatches, payments } from "../src/db/tables";
import type { Scope, Viewer } from "../src/modules/access/rules";
import { generateApiKey } from "../src/modules/credentials/api-keys";
import { insertApiKey } from "../src/modules/credentials/store";
import { canSeeParticipant, participantVisibility } from "../src/modules/participants/conditions";
import { bearer, dataOf, startTestApi, TEST_ALLOWED_ORIGIN, TEST_JWT_SECRET, type TestApi, TODAY } from "./testkit/api";
import { month, monthKey } from "./testkit/dates";
import { givenParticipant, givenSettledPayment, givenSponsor, givenSponsorship } from "./testkit/fixtures";

let api: TestApi;
const gid = (type: string, id: number | string) => Buffer.from(`${type}:${id}`).toString("base64");
let keys = 0;
const key = () => `security-${++keys}-${Date.now()}`;

/** Female, born 17 Jan 1990 (day 17 + 40), district Gambir (31.71.01), serial 0042. */
const WORKER_NIK = "3171015701900042";
let worker: typeof participants.$inferSelect;
let sponsorA: { id: number };
let sponsorB: { id: number };

beforeAll(async () => {
  api = await startTestApi();
  sponsorA = await givenSponsor(api.db, { name: "Sponsor A" });
  sponsorB = await givenSponsor(api.db, { name: "Sponsor B" });
  worker = await givenParticipant(api.db, {
    nik: WORKER_NIK,
    fullName: "Siti Rahayu",
    birthDate: "1990-01-17",
    sex: "FEMALE",
    villageCode: "31.71.01.1001",
    phone: "+6281234567890",
  });
});
afterAll(async () => api?.close());

async function auditRows(operation: string) {
  return api.db.select().from(auditLog).where(eq(auditLog.operation, operation)).orderBy(desc(auditLog.id));
}

describe("1. masked means masked", () => {
  const READ_ALL = `query ($id: ID!) { participant(id: $id) {
    nik birthDate birthYear sex phone region { code } fullName registeredAt
  } }`;
  type Read = {
    participant: {
      nik: string;
      birthDate: string | null;
      birthYear: number;
      sex: "MALE" | "FEMALE";
      phone: string | null;
      region: { code: string };
    };
  };

  /**
   * Every NIK consistent with what a caller read: the masked digits, the district of the region,
   * the birth date (or year) with the +40 rule for the sex, and a serial from 0001 to 9999.
   */
  function candidateCount(read: Read["participant"]): number {
    const matches = (digits: string, from: number) =>
      [...digits].every((digit, i) => read.nik[from + i] === "*" || read.nik[from + i] === digit);
    const district = read.region.code.split(".").slice(0, 3).join("");
    if (!matches(district, 0)) return 0;
    let dates = 0;
    for (let day = new Date(Date.UTC(read.birthYear, 0, 1)); day.getUTCFullYear() === read.birthYear; ) {
      const iso = day.toISOString().slice(0, 10);
      const dd = day.getUTCDate() + (read.sex === "FEMALE" ? 40 : 0);
      const ddmmyy = `${String(dd).padStart(2, "0")}${iso.slice(5, 7)}${iso.slice(2, 4)}`;
      if ((read.birthDate === null || read.birthDate === iso) && matches(ddmmyy, 6)) dates += 1;
      day = new Date(day.getTime() + 86_400_000);
    }
    let serials = 0;
    for (let serial = 1; serial <= 9999; serial += 1) if (matches(String(serial).padStart(4, "0"), 12)) serials += 1;
    return dates * serials;
  }

  it("leaves at least 10,000 candidate NIKs from everything an officer without pii:read reads", async () => {
    const read = dataOf(
      await api.graphql<Read>(
        READ_ALL,
        { id: gid("Participant", worker.id) },
        await bearer({ role: "OFFICER", region: "31" }),
      ),
    ).participant;
    expect(read.nik).toBe("3171************");
    expect(read.birthDate).toBeNull();
    expect(read.birthYear).toBe(1990);
    expect(read.phone).toBe("+62812*****890");
    expect(candidateCount(read)).toBeGreaterThanOrEqual(10_000);
    // A NIK-digit search is no oracle for the hidden digits either.
    for (const search of [WORKER_NIK.slice(12), WORKER_NIK]) {
      const found = dataOf(
        await api.graphql<{ participants: { totalCount: number } }>(
          `query ($search: String!) { participants(first: 5, filter: { search: $search }) { totalCount } }`,
          { search },
          await bearer({ role: "OFFICER", region: "31" }),
        ),
      );
      expect(found.participants.totalCount).toBe(0);
    }
  });

  it("narrows to the one NIK for pii:read and for the worker themself, as it must", async () => {
    for (const headers of [
      await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] }),
      await bearer({ role: "PARTICIPANT", participantId: worker.id }),
    ]) {
      const read = dataOf(
        await api.graphql<Read>(READ_ALL, { id: gid("Participant", worker.id) }, headers),
      ).participant;
      expect(read.nik).toBe(WORKER_NIK);
      expect(read.birthDate).toBe("1990-01-17");
      expect(candidateCount(read)).toBe(1);
    }
    const found = dataOf(
      await api.graphql<{ participants: { totalCount: number } }>(
        `{ participants(first: 5, filter: { search: "0042" }) { totalCount } }`,
        {},
        await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] }),
      ),
    );
    expect(found.participants.totalCount).toBe(1);
  });
});

const ENROLL = `mutation ($input: EnrollSponsoredParticipantsInput!) {
  enrollSponsoredParticipants(input: $input) { rows { index status participantId } userErrors { field code message } }
}`;
type Enrolled = {
  enrollSponsoredParticipants: {
    rows: { index: number; status: string; participantId: string | null }[];
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

function rowFor(nik: string, fullName: string) {
  return {
    nik,
    fullName,
    segment: "BPU",
    occupation: "Buruh harian",
    ecosystem: "VULNERABLE_WORKERS",
    villageCode: "31.71.01.1001",
    reportedMonthlyIncome: "1000000",
    programs: ["JKK", "JKM"],
  };
}

describe("2. no takeover by NIK", () => {
  const callers = [
    { name: "the sponsor's own login", headers: () => bearer({ role: "SPONSOR", sponsorId: sponsorA.id }) },
    {
      name: "a PARTNER key that may enroll for sponsors",
      headers: () => bearer({ role: "PARTNER", scopes: ["sponsors:write"] }),
    },
  ];
  for (const caller of callers) {
    it(`refuses to attach a registered worker on the NIK alone (${caller.name})`, async () => {
      const victim = await givenParticipant(api.db, { fullName: "Dewi Lestari", birthDate: "1990-01-01" });
      const sponsorship = await givenSponsorship(api.db, sponsorA.id);
      const headers = await caller.headers();
      const refused = dataOf(
        await api.graphql<Enrolled>(
          ENROLL,
          {
            input: {
              sponsorshipId: gid("Sponsorship", sponsorship.id),
              participants: [rowFor(victim.nik, "Budi Santoso")],
              idempotencyKey: key(),
            },
          },
          headers,
        ),
      ).enrollSponsoredParticipants;
      expect(refused.rows).toEqual([{ index: 0, status: "REJECTED", participantId: null }]);
      expect(refused.userErrors).toEqual([
        expect.objectContaining({ code: "NIK_MISMATCH", field: ["input", "participants", "0", "fullName"] }),
      ]);
      const [after] = await api.db.select().from(participants).where(eq(participants.id, victim.id));
      expect(after?.sponsorId).toBeNull();
      const read = await api.graphql(
        `query ($id: ID!) { participant(id: $id) { fullName } }`,
        { id: gid("Participant", victim.id) },
        await bearer({ role: "SPONSOR", sponsorId: sponsorA.id }),
      );
      expect(read.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

      // The same worker, named as people write names: attached.
      const attached = dataOf(
        await api.graphql<Enrolled>(
          ENROLL,
          {
            input: {
              sponsorshipId: gid("Sponsorship", sponsorship.id),
              participants: [rowFor(victim.nik, "  DEWI   lestari ")],
              idempotencyKey: key(),
            },
          },
          headers,
        ),
      ).enrollSponsoredParticipants;
      expect(attached.rows[0]?.status).toBe("ATTACHED");
      expect(attached.userErrors).toEqual([]);
    });
  }
});

describe("3. every refused mutation is audited", () => {
  it("keeps a REFUSED row for a refusal inside the mutation's transaction (officer outside their region)", async () => {
    const response = await api.graphql(
      `mutation ($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { id } } }`,
      { input: { ...rowFor("3273010101900001", "Asep"), villageCode: "32.73.01.1001" } },
      await bearer({ role: "OFFICER", region: "31", subject: "officer-jakarta" }),
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const [row] = await auditRows("registerParticipant");
    expect(row).toMatchObject({
      actorId: "officer-jakarta",
      actorRole: "OFFICER",
      outcome: "REFUSED",
      details: { code: "FORBIDDEN" },
    });
  });

  it("keeps a REFUSED row for a refusal by the schema's scopes, naming the target", async () => {
    const response = await api.graphql(
      `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id } } }`,
      {
        input: {
          participantId: gid("Participant", worker.id),
          months: 1,
          channel: "BRIVA",
          idempotencyKey: key(),
        },
      },
      {},
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const [row] = await auditRows("payContribution");
    expect(row).toMatchObject({
      actorRole: "ANONYMOUS",
      outcome: "REFUSED",
      targetIds: [`participant:${worker.id}`],
      details: { code: "UNAUTHENTICATED" },
    });
  });

  it("keeps a REFUSED row for a bad credential on a mutation, before GraphQL runs", async () => {
    const response = await api.request("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "kp_nothere_0000000000000000000000000000",
        "x-forwarded-for": "203.0.113.30",
      },
      body: JSON.stringify({
        query: `mutation { createSponsor(input: { name: "X", kind: COMPANY, program: SERTAKAN }) { apiKey } }`,
      }),
    });
    expect(response.status).toBe(401);
    const [row] = await auditRows("createSponsor");
    expect(row).toMatchObject({
      actorRole: "ANONYMOUS",
      outcome: "REFUSED",
      details: { code: "UNAUTHENTICATED", clientAddress: "203.0.113.30" },
    });
  });
});

describe("3. refused mutations: a role x attempt matrix, each refusal audited", () => {
  type Attempt = { name: string; query: string; variables: () => Record<string, unknown> };
  const attempts: Attempt[] = [
    {
      name: "createSponsor",
      query: `mutation { createSponsor(input: { name: "Matrix", kind: COMPANY, program: SERTAKAN }) { apiKey } }`,
      variables: () => ({}),
    },
    {
      name: "registerParticipant",
      query: `mutation ($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { id } } }`,
      variables: () => ({ input: { ...rowFor("3273010101900009", "Matrix Worker"), villageCode: "32.73.01.1001" } }),
    },
    {
      name: "settlePayment",
      query: `mutation ($id: ID!) { settlePayment(input: { paymentId: $id, outcome: SETTLED }) { payment { id } } }`,
      variables: () => ({ id: gid("Payment", 1) }),
    },
  ];
  // What each caller gets: a refusal code, or "allowed" (then not part of this matrix).
  const expected: Record<string, Record<string, string>> = {
    anonymous: {
      createSponsor: "UNAUTHENTICATED",
      registerParticipant: "UNAUTHENTICATED",
      settlePayment: "UNAUTHENTICATED",
    },
    officer: { createSponsor: "FORBIDDEN", registerParticipant: "FORBIDDEN", settlePayment: "FORBIDDEN" },
    sponsor: { createSponsor: "FORBIDDEN", registerParticipant: "FORBIDDEN", settlePayment: "FORBIDDEN" },
    participant: { createSponsor: "FORBIDDEN", settlePayment: "FORBIDDEN" },
    partner: { createSponsor: "FORBIDDEN", registerParticipant: "FORBIDDEN", settlePayment: "FORBIDDEN" },
  };
  const callers: Record<string, () => Promise<Record<string, string>>> = {
    anonymous: async () => ({}),
    officer: () => bearer({ role: "OFFICER", region: "31", subject: "matrix-officer" }),
    sponsor: () => bearer({ role: "SPONSOR", sponsorId: sponsorA.id, subject: "matrix-sponsor" }),
    participant: () => bearer({ role: "PARTICIPANT", participantId: worker.id, subject: "matrix-participant" }),
    partner: () => bearer({ role: "PARTNER", scopes: ["payments:read"], subject: "matrix-partner" }),
  };
  for (const [caller, outcomes] of Object.entries(expected)) {
    for (const attempt of attempts) {
      const code = outcomes[attempt.name];
      if (!code) continue;
      it(`${caller} → ${attempt.name}: ${code}, audited as REFUSED`, async () => {
        const headers = await callers[caller]?.();
        const response = await api.graphql(attempt.query, attempt.variables(), headers);
        expect(response.errors?.[0]?.extensions?.code).toBe(code);
        const [row] = await auditRows(attempt.name);
        expect(row).toMatchObject({ outcome: "REFUSED", details: { code } });
        expect(row?.actorId).toBe(caller === "anonymous" ? null : `matrix-${caller}`);
      });
    }
  }

  it("audits a rate-limited mutation once per caller and window", async () => {
    const limited = await startTestApi({ rateLimiter: { limit: async () => ({ success: false }) } });
    try {
      const headers = await bearer({ role: "ADMIN", subject: "busy-admin" });
      for (let i = 0; i < 3; i += 1) {
        const response = await limited.graphql(attempts[0]?.query ?? "", {}, headers);
        expect(response.status).toBe(429);
      }
      const rows = await limited.db.select().from(auditLog).where(eq(auditLog.actorId, "busy-admin"));
      expect(rows).toEqual([
        expect.objectContaining({
          operation: "createSponsor",
          outcome: "REFUSED",
          details: expect.objectContaining({ code: "RATE_LIMITED" }),
        }),
      ]);
    } finally {
      await limited.close();
    }
  });
});

describe("4. failed authentication is rate-limited and cheap", () => {
  it("answers 429 after 20 failures from one address, without looking the key up, and never 500", async () => {
    const unknownKey = (await generateApiKey()).key;
    const statuses: number[] = [];
    const lookupsBefore = api.statements.filter((s) => s.includes("api_keys")).length;
    for (let i = 0; i < 30; i += 1) {
      const response = await api.request("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": unknownKey, "x-forwarded-for": "198.51.100.7" },
        body: JSON.stringify({ query: "{ viewer { role } }" }),
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect(statuses.slice(20).every((status) => status === 429)).toBe(true);
    // The failure that goes over the limit is the last one looked up.
    expect(api.statements.filter((s) => s.includes("api_keys")).length - lookupsBefore).toBe(21);
    // Another address is not held responsible.
    const elsewhere = await api.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": unknownKey, "x-forwarded-for": "198.51.100.8" },
      body: JSON.stringify({ query: "{ viewer { role } }" }),
    });
    expect(elsewhere.status).toBe(401);
  });
});

describe("5. idempotency keys belong to their caller", () => {
  const PAY = `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id } userErrors { code } } }`;
  it("treats one key from two callers as two payments, and replays each caller's own", async () => {
    const other = await givenParticipant(api.db, { fullName: "Other Worker" });
    const shared = key();
    const pay = async (subject: string, participantId: number) =>
      dataOf(
        await api.graphql<{ payContribution: { payment: { id: string } | null; userErrors: { code: string }[] } }>(
          PAY,
          {
            input: {
              participantId: gid("Participant", participantId),
              months: 1,
              channel: "BRIVA",
              idempotencyKey: shared,
            },
          },
          await bearer({ role: "PARTNER", subject, scopes: ["payments:write", "participants:read"] }),
        ),
      ).payContribution;
    const first = await pay("bank-one", worker.id);
    const second = await pay("bank-two", other.id);
    expect(first.userErrors).toEqual([]);
    expect(second.userErrors).toEqual([]);
    expect(second.payment?.id).not.toBe(first.payment?.id);
    const replay = await pay("bank-one", worker.id);
    expect(replay.payment?.id).toBe(first.payment?.id);
    const rows = await api.db.select().from(payments).where(eq(payments.idempotencyKey, shared));
    expect(rows.map((row) => row.idempotencyScope).sort()).toEqual(["bank-one", "bank-two"]);
  });

  it("lets two sponsors enroll with the same key independently", async () => {
    const shared = key();
    const enroll = async (sponsorId: number, nik: string) => {
      const sponsorship = await givenSponsorship(api.db, sponsorId);
      return dataOf(
        await api.graphql<Enrolled>(
          ENROLL,
          {
            input: {
              sponsorshipId: gid("Sponsorship", sponsorship.id),
              participants: [rowFor(nik, "Pekerja Baru")],
              idempotencyKey: shared,
            },
          },
          await bearer({ role: "SPONSOR", sponsorId, subject: `sponsor-${sponsorId}` }),
        ),
      ).enrollSponsoredParticipants;
    };
    expect((await enroll(sponsorA.id, "3171010101850001")).rows[0]?.status).toBe("CREATED");
    const second = await enroll(sponsorB.id, "3171010101850002");
    expect(second.userErrors).toEqual([]);
    expect(second.rows[0]?.status).toBe("CREATED");
  });
});

describe("6. one forbidden object never wipes its neighbours", () => {
  it("gives a payments back office its payments with each worker null and one FORBIDDEN per worker", async () => {
    const payer = await givenParticipant(api.db, { fullName: "Paying Worker" });
    await givenSettledPayment(api.db, payer.id, month(-2));
    await givenSettledPayment(api.db, payer.id, month(-1));
    const response = await api.graphql<{ payments: { nodes: { id: string; participant: null }[] } }>(
      `{ payments(first: 2) { nodes { id participant { id } } } }`,
      {},
      await bearer({ role: "PARTNER", scopes: ["payments:read"] }),
    );
    expect(response.data?.payments.nodes).toHaveLength(2);
    expect(response.data?.payments.nodes.every((node) => node.participant === null)).toBe(true);
    expect(response.errors?.map((error) => [error.extensions?.code, error.path?.at(-1)])).toEqual([
      ["FORBIDDEN", "participant"],
      ["FORBIDDEN", "participant"],
    ]);
  });
});

describe("6. a batch's sponsorship the caller may not see", () => {
  it("is null with one FORBIDDEN, and the batch stays", async () => {
    const sponsorship = await givenSponsorship(api.db, sponsorB.id);
    const [batch] = await api.db
      .insert(paymentBatches)
      .values({
        sponsorshipId: sponsorship.id,
        months: 1,
        total: 0n,
        idempotencyScope: "test",
        idempotencyKey: key(),
        createdAt: api.clock.now().toISOString(),
      })
      .returning();
    const response = await api.graphql<{ node: { months: number; sponsorship: null } }>(
      `query ($id: ID!) { node(id: $id) { ... on PaymentBatch { months sponsorship { id } } } }`,
      { id: gid("PaymentBatch", batch?.id ?? 0) },
      await bearer({ role: "PARTNER", scopes: ["payments:read"] }),
    );
    expect(response.data?.node).toEqual({ months: 1, sponsorship: null });
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
  });
});

describe("7. referral credit only where the caller has it", () => {
  const REGISTER = `mutation ($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { id } userErrors { field code message } } }`;
  it("answers an unseen registrant exactly like an unknown or malformed one", async () => {
    const unseen = await givenParticipant(api.db, { fullName: "Far Away", villageCode: "32.73.01.1001" });
    const headers = await bearer({ role: "OFFICER", region: "31.71" });
    const answers = [];
    for (const registeredById of [
      gid("Participant", unseen.id),
      gid("Participant", 987_654),
      gid("Participant", "abc"),
    ]) {
      const response = await api.graphql<{ registerParticipant: { userErrors: unknown[] } }>(
        REGISTER,
        { input: { ...rowFor("3171010101750001", "Credit Seeker"), registeredById } },
        headers,
      );
      answers.push(JSON.stringify(response.data?.registerParticipant ?? response.errors));
    }
    expect(answers[0]).toContain("NOT_FOUND");
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answers[0]);
  });

  it("credits a registrant the caller may see", async () => {
    const neighbour = await givenParticipant(api.db, { fullName: "Near By", villageCode: "31.71.01.1001" });
    const response = dataOf(
      await api.graphql<{ registerParticipant: { participant: { id: string } | null; userErrors: unknown[] } }>(
        REGISTER,
        {
          input: { ...rowFor("3171010101750002", "Credited Worker"), registeredById: gid("Participant", neighbour.id) },
        },
        await bearer({ role: "OFFICER", region: "31.71" }),
      ),
    );
    expect(response.registerParticipant.userErrors).toEqual([]);
  });
});

describe("8. officers see only their region", () => {
  it("refuses national retention cohorts to an officer", async () => {
    const response = await api.graphql(
      // A well-formed range ending this month: refused for who asks, not for what.
      `{ retentionCohorts(from: "${monthKey(-10)}", to: "${monthKey(0)}") { cohort registered } }`,
      {},
      await bearer({ role: "OFFICER", region: "31.71.01.1001" }),
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("counts only the workers an officer may see in a sponsorship's figures", async () => {
    const sponsor = await givenSponsor(api.db, { name: "Figures Sponsor" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const enrolled = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: {
          sponsorshipId: gid("Sponsorship", sponsorship.id),
          participants: [
            rowFor("3171010101650001", "Jakarta One"),
            { ...rowFor("3171010101650002", "Bandung One"), villageCode: "32.73.01.1001" },
          ],
          idempotencyKey: key(),
        },
      }),
    ).enrollSponsoredParticipants;
    expect(enrolled.userErrors).toEqual([]);
    const figures = async (headers: Record<string, string>) =>
      dataOf(
        await api.graphql<{ node: { figures: { enrolled: number } } }>(
          `query ($id: ID!) { node(id: $id) { ... on Sponsorship { figures { enrolled } } } }`,
          { id: gid("Sponsorship", sponsorship.id) },
          headers,
        ),
      ).node.figures.enrolled;
    expect(await figures(await bearer({ role: "ADMIN" }))).toBe(2);
    expect(await figures(await bearer({ role: "OFFICER", region: "32" }))).toBe(1);
  });
});

describe("9. credentials cannot impersonate each other", () => {
  it("refuses a token whose subject names an API key", async () => {
    const { key: apiKey, prefix, secretHash } = await generateApiKey();
    await insertApiKey(api.db, {
      name: "Bank",
      prefix,
      secretHash,
      scopes: ["participants:register"],
      createdAt: api.clock.now().toISOString(),
    });
    expect(apiKey).toContain(prefix);
    // Valid for five minutes from the time the API's clock says: refused for its subject, not as expired.
    const issuedAt = Math.floor(Date.parse(TODAY) / 1000);
    const token = await new SignJWT({ role: "PARTNER", scopes: ["participants:register"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(`api-key:${prefix}`)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 300)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const response = await api.graphql(`{ viewer { role } }`, {}, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("issues a sponsor's login with no scopes it could not use", async () => {
    const created = dataOf(
      await api.graphql<{ createSponsor: { apiKey: string } }>(
        `mutation { createSponsor(input: { name: "PT Baru", kind: COMPANY, program: SERTAKAN }) { apiKey } }`,
      ),
    ).createSponsor;
    const viewer = dataOf(
      await api.graphql<{ viewer: { role: string; scopes: string[] } }>(
        `{ viewer { role scopes } }`,
        {},
        {
          "x-api-key": created.apiKey,
        },
      ),
    ).viewer;
    expect(viewer).toEqual({ role: "SPONSOR", scopes: [] });
  });
});

describe("10. browsers cannot be turned against a caller", () => {
  it("answers preflight only for allowed origins, without credentials", async () => {
    const preflight = (origin: string, path = "/graphql") =>
      api.request(path, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = await preflight(TEST_ALLOWED_ORIGIN);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(TEST_ALLOWED_ORIGIN);
    expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
    const csv = await preflight(TEST_ALLOWED_ORIGIN, "/sponsors/abc/enrollments.csv");
    expect(csv.headers.get("access-control-allow-origin")).toBe(TEST_ALLOWED_ORIGIN);
    const reflected = await api.request("/graphql", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { role } }" }),
    });
    expect(reflected.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("runs no mutation sent as a simple (form or text) request, and no GET without a CSRF header", async () => {
    const headers = await bearer({ role: "ADMIN" });
    const before = (await auditRows("createSponsor")).length;
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const response = await api.request("/graphql", {
        method: "POST",
        headers: { ...headers, "content-type": contentType },
        body: JSON.stringify({
          query: `mutation { createSponsor(input: { name: "CSRF", kind: COMPANY, program: SERTAKAN }) { apiKey } }`,
        }),
      });
      expect(response.status).toBe(415);
    }
    expect((await auditRows("createSponsor")).length).toBe(before);
    const get = await api.request(`/graphql?query=${encodeURIComponent("{ viewer { role } }")}`, { headers });
    expect(get.status).toBeGreaterThanOrEqual(400);
    const withHeader = await api.request(`/graphql?query=${encodeURIComponent("{ viewer { role } }")}`, {
      headers: { ...headers, "x-graphql-yoga-csrf": "1", accept: "application/json" },
    });
    expect(withHeader.status).toBe(200);
  });

  it("does not take a client's cf-ray as the request id outside Cloudflare", async () => {
    const response = await api.request("/health", { headers: { "cf-ray": "attacker-chosen" } });
    expect(response.headers.get("x-request-id")).not.toBe("attacker-chosen");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("11. malformed ids never 500", () => {
  it("answers null or NOT_FOUND for Participant:0, -1 and abc, sends no NaN and logs no error", async () => {
    const errorLog = vi.spyOn(console, "error");
    const before = api.statements.length;
    for (const raw of ["0", "-1", "abc", "1e3", "99999999999999999999"]) {
      const id = gid("Participant", raw);
      const node = await api.graphql<{ node: null }>(`query ($id: ID!) { node(id: $id) { id } }`, { id });
      expect(node.status).toBe(200);
      expect(node.data?.node ?? null).toBeNull();
      expect(node.errors?.every((e) => e.extensions?.code !== "INTERNAL_SERVER_ERROR") ?? true).toBe(true);
      const participant = await api.graphql(`query ($id: ID!) { participant(id: $id) { id } }`, { id });
      expect(participant.errors?.every((e) => e.extensions?.code !== "INTERNAL_SERVER_ERROR") ?? true).toBe(true);
      const update = await api.graphql<{ updateParticipant: { userErrors: { code: string }[] } }>(
        `mutation ($id: ID!) { updateParticipant(input: { id: $id, occupation: "Nelayan" }) { userErrors { code } } }`,
        { id },
      );
      expect(update.data?.updateParticipant.userErrors.map((e) => e.code)).toEqual(["NOT_FOUND"]);
    }
    expect(api.statements.slice(before).some((statement) => statement.includes("NaN"))).toBe(false);
    expect(errorLog).not.toHaveBeenCalled();
    errorLog.mockRestore();
  });
});

describe("12. the CSV route does not tell a missing sponsorship from another's", () => {
  it("answers the same for both", async () => {
    const theirs = await givenSponsorship(api.db, sponsorB.id);
    const upload = async (sponsorId: number, sponsorshipId: number) => {
      const response = await api.request(
        `/sponsors/${gid("Sponsor", sponsorId)}/enrollments.csv?sponsorshipId=${gid("Sponsorship", sponsorshipId)}`,
        {
          method: "POST",
          headers: { ...(await bearer({ role: "SPONSOR", sponsorId: sponsorA.id })), "idempotency-key": key() },
          body: "nik,fullName\n",
        },
      );
      const body = (await response.json()) as Record<string, unknown>;
      return { status: response.status, body };
    };
    const missing = await upload(sponsorB.id, 987_654);
    const another = await upload(sponsorB.id, theirs.id);
    expect(another).toEqual(missing);
    expect(missing.status).toBe(404);
    const [row] = await auditRows("enrollSponsoredParticipantsCsv");
    expect(row).toMatchObject({ outcome: "REFUSED", targetIds: [`sponsorship:${theirs.id}`] });
  });
});

describe("visibility in SQL and in code agree", () => {
  it("for random viewers over random participants", async () => {
    const villages = ["31.71.01.1001", "31.71.02.1001", "32.73.01.1001"];
    const sponsors = [null, sponsorA.id, sponsorB.id];
    const subjects = [null, "registrar-1", "registrar-2"];
    const rows: (typeof participants.$inferSelect)[] = [];
    for (let i = 0; i < 24; i += 1) {
      rows.push(
        await givenParticipant(api.db, {
          fullName: `Visibility ${i}`,
          villageCode: villages[i % 3],
          sponsorId: sponsors[Math.floor(i / 3) % 3] ?? null,
          registeredBySubject: subjects[Math.floor(i / 9) % 3] ?? null,
          registeredById: i > 3 && i % 4 === 0 ? (rows[i - 4]?.id ?? null) : null,
        }),
      );
    }
    const ids = rows.map((row) => row.id);
    const viewer: fc.Arbitrary<Viewer> = fc.oneof(
      fc.constant<Viewer>({ kind: "anonymous" }),
      fc.record({
        kind: fc.constant("user" as const),
        role: fc.constantFrom("ADMIN", "OFFICER", "SPONSOR", "PARTNER", "PARTICIPANT" as const),
        subject: fc.constantFrom("registrar-1", "registrar-2", "someone"),
        scopes: fc
          .subarray<Scope>(["participants:read", "pii:read", "payments:read"])
          .map((list) => new Set(list) as ReadonlySet<Scope>),
        regionCode: fc.constantFrom("31", "31.71", "31.71.01", "31.71.01.1001", "32"),
        sponsorId: fc.option(fc.constantFrom(sponsorA.id, sponsorB.id), { nil: undefined }),
        participantId: fc.constantFrom(...ids),
      }),
    );
    await fc.assert(
      fc.asyncProperty(viewer, async (v) => {
        const seen = await api.db
          .select({ id: participants.id })
          .from(participants)
          .where(and(sql`${participants.id} in ${ids}`, participantVisibility(participants, v)));
        const inSql = seen.map((row) => row.id).sort((a, b) => a - b);
        const inCode = rows.filter((row) => canSeeParticipant(v, row)).map((row) => row.id);
        expect(inSql).toEqual(inCode);
      }),
      { numRuns: 60 },
    );
  });
});
