import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { participants, paymentBatches, payments, sponsorshipEnrollments, sponsorships } from "../src/db/tables";
import { bearer, dataOf, type GraphQLResponse, startTestApi, type TestApi } from "./testkit/api";
import { lastDateOf, month } from "./testkit/dates";
import { givenParticipant, givenSponsor } from "./testkit/fixtures";

let api: TestApi;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const fromGid = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);
let keys = 0;
const key = () => `sponsor-test-${++keys}-${Date.now()}`;

const CREATE_SPONSOR = `mutation ($input: CreateSponsorInput!) { createSponsor(input: $input) { sponsor { id name kind program } apiKey userErrors { field code message } } }`;
const CREATE_SPONSORSHIP = `mutation ($input: CreateSponsorshipInput!) {
  createSponsorship(input: $input) { sponsorship { id budget spent remainingBudget programs monthsPerPeriod maxParticipants } userErrors { field code message } }
}`;
const ENROLL = `mutation ($input: EnrollSponsoredParticipantsInput!) {
  enrollSponsoredParticipants(input: $input) {
    created attached alreadyEnrolled rejected
    rows { index status participantId }
    userErrors { field code message }
  }
}`;
const PAY_BATCH = `mutation ($input: PaySponsoredContributionsInput!) {
  paySponsoredContributions(input: $input) { batch { id months total paymentCount status payments(first: 5) { totalCount nodes { status payer amount } } } userErrors { field code message } }
}`;
const SETTLE_BATCH = `mutation ($input: SettlePaymentBatchInput!) {
  settlePaymentBatch(input: $input) { batch { id status settledAt } userErrors { field code message } }
}`;

type Enrolled = {
  enrollSponsoredParticipants: {
    created: number;
    attached: number;
    alreadyEnrolled: number;
    rejected: number;
    rows: { index: number; status: string; participantId: string | null }[];
    userErrors: { field: string[]; code: string; message: string }[];
  };
};
type Batch = {
  paySponsoredContributions: {
    batch: { id: string; months: number; total: string; paymentCount: number; payments: { totalCount: number } } | null;
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

/** A valid worker row: NIK registered in Gambir, living in Bandung, a BPU at the lowest income. */
function worker(i: number, overrides: Record<string, unknown> = {}) {
  const day = String(1 + Math.floor(i / 9000)).padStart(2, "0");
  return {
    nik: `317101${day}0885${String((i % 9000) + 1).padStart(4, "0")}`,
    fullName: `Pekerja Rentan ${String.fromCharCode(65 + (i % 26))}`,
    segment: "BPU",
    occupation: "Buruh harian",
    ecosystem: "VULNERABLE_WORKERS",
    villageCode: "32.73.01.1001",
    reportedMonthlyIncome: "1000000",
    programs: ["JKK", "JKM"],
    ...overrides,
  };
}

/** The worker of row `i` as already registered: same NIK, name and the birth date the NIK encodes. */
function registeredWorker(i: number) {
  const { nik, fullName } = worker(i);
  return { nik, fullName, birthDate: `19${nik.slice(10, 12)}-${nik.slice(8, 10)}-${nik.slice(6, 8)}` };
}

async function newSponsorship(
  sponsorId: number,
  overrides: Record<string, unknown> = {},
  headers?: Record<string, string>,
) {
  const response = await api.graphql<{
    createSponsorship: { sponsorship: { id: string } | null; userErrors: unknown[] };
  }>(
    CREATE_SPONSORSHIP,
    {
      input: {
        sponsorId: gid("Sponsor", sponsorId),
        programs: ["JKK", "JKM"],
        monthsPerPeriod: 1,
        maxParticipants: 20_000,
        budget: "1000000000",
        // Began ten months ago and runs thirteen more: it covers this month.
        startsOn: month(-10),
        endsOn: lastDateOf(13),
        ...overrides,
      },
    },
    headers,
  );
  const { sponsorship, userErrors } = dataOf(response).createSponsorship;
  if (!sponsorship) throw new Error(`sponsorship refused: ${JSON.stringify(userErrors)}`);
  return sponsorship.id;
}

beforeAll(async () => {
  api = await startTestApi(); // today: TODAY (month 0 is its WIB month)
});
afterAll(async () => api?.close());

describe("signing up a sponsor", () => {
  it("creates the sponsor and a login key that acts for it alone", async () => {
    const { createSponsor } = dataOf(
      await api.graphql<{
        createSponsor: { sponsor: { id: string; name: string }; apiKey: string; userErrors: unknown[] };
      }>(CREATE_SPONSOR, {
        input: {
          name: "PT Peduli Sesama",
          kind: "COMPANY",
          program: "SERTAKAN",
          contactEmail: "csr@peduli.co.id",
          contactPhone: "021-555-1234",
        },
      }),
    );
    expect(createSponsor).toMatchObject({ sponsor: { name: "PT Peduli Sesama" }, userErrors: [] });
    expect(createSponsor.apiKey).toMatch(/^kp_[a-z0-9]{12}_/);
    const asSponsor = { "x-api-key": createSponsor.apiKey };
    const viewer = dataOf(await api.graphql<{ viewer: { role: string } }>("{ viewer { role } }", {}, asSponsor));
    expect(viewer.viewer.role).toBe("SPONSOR");
    const sponsorshipId = await newSponsorship(fromGid(createSponsor.sponsor.id), { budget: "5000000" }, asSponsor);
    expect(sponsorshipId).toBeTruthy();
    const other = await givenSponsor(api.db, { name: "Someone Else" });
    const refused = await api.graphql(
      CREATE_SPONSORSHIP,
      {
        input: {
          sponsorId: gid("Sponsor", other.id),
          programs: ["JKK", "JKM"],
          monthsPerPeriod: 1,
          maxParticipants: 1,
          budget: "1",
          startsOn: month(-10),
          endsOn: lastDateOf(1),
        },
      },
      asSponsor,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const sponsors = dataOf(
      await api.graphql<{ sponsors: { nodes: { name: string }[] } }>(
        "{ sponsors(first: 10) { nodes { name } } }",
        {},
        asSponsor,
      ),
    );
    expect(sponsors.sponsors.nodes).toEqual([{ name: "PT Peduli Sesama" }]);
  });

  it("is for ADMIN, and checks the sponsor's details", async () => {
    const officer = await api.graphql(
      CREATE_SPONSOR,
      { input: { name: "X Corp", kind: "COMPANY", program: "CSR" } },
      await bearer({ role: "OFFICER", region: "31" }),
    );
    expect(officer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const bad = dataOf(
      await api.graphql<{ createSponsor: { userErrors: { field: string[]; code: string }[] } }>(CREATE_SPONSOR, {
        input: { name: "X", kind: "NGO", program: "CSR", contactEmail: "not-an-email", contactPhone: "+1 555" },
      }),
    );
    expect(bad.createSponsor.userErrors.map((e) => e.field.join("."))).toEqual(["input.name", "input.contactEmail"]);
  });

  it("refuses sponsorships that could never work", async () => {
    const sponsor = await givenSponsor(api.db);
    const { createSponsorship } = dataOf(
      await api.graphql<{ createSponsorship: { userErrors: { field: string[]; message: string }[] } }>(
        CREATE_SPONSORSHIP,
        {
          input: {
            sponsorId: gid("Sponsor", sponsor.id),
            programs: ["JKK"],
            monthsPerPeriod: 2,
            maxParticipants: 0,
            budget: "0",
            // Ends eleven months before it starts.
            startsOn: month(1),
            endsOn: month(-10),
          },
        },
      ),
    );
    expect(createSponsorship.userErrors.map((e) => `${e.field.join(".")}: ${e.message}`)).toEqual([
      "input.programs: A sponsorship covers at least JKK and JKM",
      "input.monthsPerPeriod: A period is 1, 3, 6 or 12 months",
      "input.maxParticipants: Cover at least one worker",
      "input.budget: The budget must be positive",
      "input.endsOn: endsOn must not be before startsOn",
    ]);
  });
});

describe("enrollSponsoredParticipants", () => {
  it("enrolls 10,000 rows with 3% invalid: exact counts, every bad row named, nothing dropped", {
    timeout: 180_000,
  }, async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Sepuluh Ribu" });
    const sponsorshipId = await newSponsorship(sponsor.id);
    const defects = [
      { nik: "3171010000000000" },
      { villageCode: "32.73.01.9999" },
      { reportedMonthlyIncome: "999999" },
    ] as const;
    const expected = [
      { code: "INVALID_NIK", field: "nik" },
      { code: "INVALID_VILLAGE", field: "villageCode" },
      { code: "INCOME_OUT_OF_RANGE", field: "reportedMonthlyIncome" },
    ];
    const bad = (i: number) => [7, 42, 77].indexOf(i % 100);
    const rows = Array.from({ length: 10_000 }, (_, i) => (bad(i) >= 0 ? worker(i, defects[bad(i)]) : worker(i)));
    const before = await api.db.$count(participants);
    const result = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: { sponsorshipId, participants: rows, idempotencyKey: "ten-thousand" },
      }),
    ).enrollSponsoredParticipants;
    expect({
      created: result.created,
      attached: result.attached,
      already: result.alreadyEnrolled,
      rejected: result.rejected,
    }).toEqual({
      created: 9_700,
      attached: 0,
      already: 0,
      rejected: 300,
    });
    expect(result.rows).toHaveLength(10_000);
    expect(result.userErrors).toHaveLength(300);
    for (const error of result.userErrors) {
      const index = Number(error.field[2]);
      expect(error.field.slice(0, 2)).toEqual(["input", "participants"]);
      expect({ code: error.code, field: error.field[3] }).toEqual(expected[bad(index)]);
      expect(result.rows[index]?.status).toBe("REJECTED");
    }
    expect(result.rows.filter((r) => r.status === "CREATED").every((r) => r.participantId !== null)).toBe(true);
    expect(await api.db.$count(participants)).toBe(before + 9_700);
    expect(
      await api.db.$count(sponsorshipEnrollments, eq(sponsorshipEnrollments.sponsorshipId, fromGid(sponsorshipId))),
    ).toBe(9_700);

    const replay = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: { sponsorshipId, participants: rows, idempotencyKey: "ten-thousand" },
      }),
    ).enrollSponsoredParticipants;
    expect({ created: replay.created, rejected: replay.rejected, errors: replay.userErrors.length }).toEqual({
      created: 9_700,
      rejected: 300,
      errors: 300,
    });
    expect(await api.db.$count(participants)).toBe(before + 9_700);
    const reused = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: { sponsorshipId, participants: rows.slice(0, 5), idempotencyKey: "ten-thousand" },
      }),
    ).enrollSponsoredParticipants;
    expect(reused.userErrors[0]?.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("attaches registered workers, skips ones already enrolled, and names duplicates, other sponsors' workers and overflow", async () => {
    const sponsor = await givenSponsor(api.db, { name: "Yayasan Kecil" });
    const elsewhere = await givenSponsor(api.db, { name: "Sponsor Lain" });
    const sponsorshipId = await newSponsorship(sponsor.id, { maxParticipants: 3 });
    const registered = await givenParticipant(api.db, registeredWorker(20_001));
    await givenParticipant(api.db, { ...registeredWorker(20_002), sponsorId: elsewhere.id });
    const first = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: {
          sponsorshipId,
          idempotencyKey: key(),
          participants: [
            worker(20_001),
            worker(20_002),
            worker(20_003),
            worker(20_003),
            worker(20_004),
            worker(20_005),
          ],
        },
      }),
    ).enrollSponsoredParticipants;
    expect(first.rows.map((r) => r.status)).toEqual([
      "ATTACHED",
      "REJECTED",
      "CREATED",
      "REJECTED",
      "CREATED",
      "REJECTED",
    ]);
    expect(first.rows[0]?.participantId).toBe(gid("Participant", registered.id));
    expect(first.userErrors.map((e) => [e.field.join("."), e.code])).toEqual([
      ["input.participants.3.nik", "DUPLICATE_ROW"],
      ["input.participants.1.nik", "SPONSORED_ELSEWHERE"],
      ["input.participants.5", "CAPACITY_EXCEEDED"],
    ]);
    const [attached] = await api.db.select().from(participants).where(eq(participants.id, registered.id));
    expect(attached?.sponsorId).toBe(sponsor.id);
    const again = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: { sponsorshipId, idempotencyKey: key(), participants: [worker(20_001)] },
      }),
    ).enrollSponsoredParticipants;
    expect(again.rows.map((r) => r.status)).toEqual(["ALREADY_ENROLLED"]);
  });

  it("lets a sponsor enroll only into its own sponsorships; another's is answered as not found", async () => {
    const sponsor = await givenSponsor(api.db, { name: "Pemilik" });
    const sponsorshipId = await newSponsorship(sponsor.id);
    const stranger = await bearer({ role: "SPONSOR", sponsorId: sponsor.id + 1000 });
    const response = await api.graphql(
      ENROLL,
      { input: { sponsorshipId, idempotencyKey: key(), participants: [worker(30_001)] } },
      stranger,
    );
    expect(dataOf(response as GraphQLResponse<Enrolled>).enrollSponsoredParticipants.userErrors).toEqual([
      { field: ["input", "sponsorshipId"], code: "NOT_FOUND", message: "No sponsorship has this id" },
    ]);
  });

  it("takes a CSV file with the same rules and reports line by line", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Berkas" });
    const sponsorshipId = await newSponsorship(sponsor.id);
    const csv = [
      "nik,fullName,segment,occupation,ecosystem,villageCode,reportedMonthlyIncome,programs",
      [
        "3171012505850001",
        "Ani Lestari",
        "BPU",
        "Pemulung",
        "VULNERABLE_WORKERS",
        "32.73.01.1001",
        "1000000",
        "JKK;JKM",
      ].join(","),
      [
        "3171012505850002",
        '"Budi, Santoso"',
        "BPU",
        "Pemulung",
        "VULNERABLE_WORKERS",
        "32.73.01.1001",
        "satu juta",
        "JKK;JKM",
      ].join(","),
    ].join("\n");
    const upload = async (headers: Record<string, string>) =>
      api.request(
        `/sponsors/${gid("Sponsor", sponsor.id)}/enrollments.csv?sponsorshipId=${encodeURIComponent(sponsorshipId)}`,
        {
          method: "POST",
          headers: { "content-type": "text/csv", ...headers },
          body: csv,
        },
      );
    const admin = await bearer({ role: "ADMIN" });
    const response = await upload({ ...admin, "idempotency-key": key() });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      created: 1,
      rejected: 1,
      rows: [
        { line: 2, status: "CREATED", errors: [] },
        {
          line: 3,
          status: "REJECTED",
          errors: [
            {
              field: ["reportedMonthlyIncome"],
              code: "INVALID_INPUT",
              message: "Reported monthly income must be whole rupiah, e.g. 1500000",
            },
          ],
        },
      ],
    });
    expect((await upload(admin)).status).toBe(400);
    expect((await upload({ "idempotency-key": key() })).status).toBe(401);
    const stranger = await upload({
      ...(await bearer({ role: "SPONSOR", sponsorId: sponsor.id + 1000 })),
      "idempotency-key": key(),
    });
    expect(stranger.status).toBe(404);
  });
});

describe("paySponsoredContributions", () => {
  async function sponsorshipWithWorkers(budget: string, count = 3) {
    const sponsor = await givenSponsor(api.db, { name: `Sponsor ${key()}` });
    const sponsorshipId = await newSponsorship(sponsor.id, { budget });
    const base = 40_000 + keys * 10;
    const enrolled = dataOf(
      await api.graphql<Enrolled>(ENROLL, {
        input: {
          sponsorshipId,
          idempotencyKey: key(),
          participants: Array.from({ length: count }, (_, i) => worker(base + i)),
        },
      }),
    ).enrollSponsoredParticipants;
    expect(enrolled.created).toBe(count);
    return { sponsor, sponsorshipId, workerIds: enrolled.rows.map((r) => fromGid(r.participantId ?? "")) };
  }

  it("bills every covered worker from the budget, down to the last rupiah, and covers their months when the money arrives", async () => {
    const { sponsorshipId, workerIds } = await sponsorshipWithWorkers("50400");
    const idempotencyKey = key();
    const { paySponsoredContributions } = dataOf(
      await api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey } }),
    );
    expect(paySponsoredContributions.userErrors).toEqual([]);
    expect(paySponsoredContributions.batch).toMatchObject({
      months: 1,
      total: "50400",
      paymentCount: 3,
      status: "PENDING",
      payments: { totalCount: 3 },
    });
    for (const id of workerIds) {
      const [row] = await api.db.select().from(participants).where(eq(participants.id, id));
      expect(row?.paidThrough).toBeNull();
    }
    const settled = dataOf(
      await api.graphql<{ settlePaymentBatch: { batch: { status: string } | null } }>(SETTLE_BATCH, {
        input: { batchId: paySponsoredContributions.batch?.id, outcome: "SETTLED", amount: "50400" },
      }),
    );
    expect(settled.settlePaymentBatch.batch?.status).toBe("SETTLED");
    for (const id of workerIds) {
      const [row] = await api.db.select().from(participants).where(eq(participants.id, id));
      expect(row?.paidThrough).toBe(month(0));
    }
    const [sponsorship] = await api.db
      .select()
      .from(sponsorships)
      .where(eq(sponsorships.id, fromGid(sponsorshipId)));
    expect(sponsorship?.spent).toBe(50_400n);
    const replay = dataOf(
      await api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey } }),
    ).paySponsoredContributions;
    expect(replay.batch?.id).toBe(paySponsoredContributions.batch?.id);

    const before = await api.db.$count(payments);
    const over = dataOf(
      await api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey: key() } }),
    ).paySponsoredContributions;
    expect(over.batch).toBeNull();
    expect(over.userErrors).toEqual([
      {
        field: ["input", "months"],
        code: "BUDGET_EXCEEDED",
        message: "Paying 3 workers for 1 months costs Rp50,400; Rp0 of the budget remains",
      },
    ]);
    expect(await api.db.$count(payments)).toBe(before);
    expect(await api.db.$count(paymentBatches, eq(paymentBatches.sponsorshipId, fromGid(sponsorshipId)))).toBe(1);
  });

  it("refuses a batch one rupiah over budget, and writes nothing", async () => {
    const { sponsorshipId, workerIds } = await sponsorshipWithWorkers("50399");
    const { paySponsoredContributions } = dataOf(
      await api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey: key() } }),
    );
    expect(paySponsoredContributions.userErrors[0]?.code).toBe("BUDGET_EXCEEDED");
    const [row] = await api.db
      .select()
      .from(participants)
      .where(eq(participants.id, workerIds[0] ?? 0));
    expect(row?.paidThrough).toBeNull();
  });

  it("shows the sponsor its coverage, retention, spend and what the next period costs", async () => {
    const { sponsor, sponsorshipId } = await sponsorshipWithWorkers("1000000", 4);
    const batch = dataOf(
      await api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey: key() } }),
    ).paySponsoredContributions.batch;
    await api.graphql(SETTLE_BATCH, { input: { batchId: batch?.id, outcome: "SETTLED" } });
    const asSponsor = await bearer({ role: "SPONSOR", sponsorId: sponsor.id });
    const view = dataOf(
      await api.graphql<{
        sponsor: { sponsorships: { figures: Record<string, unknown>; enrollments: { totalCount: number } }[] };
      }>(
        `query ($id: ID!) { sponsor(id: $id) { sponsorships { enrollments(first: 2) { totalCount } figures { enrolled active activeShare spent budget upcomingAmountDue } } } }`,
        { id: gid("Sponsor", sponsor.id) },
        asSponsor,
      ),
    );
    expect(view.sponsor.sponsorships[0]).toEqual({
      enrollments: { totalCount: 4 },
      figures: {
        enrolled: 4,
        active: 4,
        activeShare: 1,
        spent: "67200",
        budget: "1000000",
        upcomingAmountDue: "67200",
      },
    });
  });

  it("lets a sponsor pay only for its own sponsorships", async () => {
    const { sponsorshipId, sponsor } = await sponsorshipWithWorkers("1000000", 1);
    const stranger = await bearer({ role: "SPONSOR", sponsorId: sponsor.id + 1000 });
    const response = await api.graphql(
      PAY_BATCH,
      { input: { sponsorshipId, months: 1, idempotencyKey: key() } },
      stranger,
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it.runIf(process.env.TEST_DATABASE === "postgres")(
    "turns concurrent batch payments with one key into one batch, and never overspends (real PostgreSQL only: npm run test:deep)",
    async () => {
      const { sponsorshipId } = await sponsorshipWithWorkers("100800", 3);
      const idempotencyKey = key();
      const same = await Promise.all(
        Array.from({ length: 20 }, () =>
          api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey } }),
        ),
      );
      expect(new Set(same.map((r) => dataOf(r).paySponsoredContributions.batch?.id)).size).toBe(1);
      const different = await Promise.all(
        Array.from({ length: 10 }, () =>
          api.graphql<Batch>(PAY_BATCH, { input: { sponsorshipId, months: 1, idempotencyKey: key() } }),
        ),
      );
      expect(different.filter((r) => dataOf(r).paySponsoredContributions.batch !== null)).toHaveLength(1);
      const [sponsorship] = await api.db
        .select()
        .from(sponsorships)
        .where(eq(sponsorships.id, fromGid(sponsorshipId)));
      expect(sponsorship?.spent).toBe(100_800n);
    },
  );
});
