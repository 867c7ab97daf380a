import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, participants } from "../src/db/tables";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, dateIn } from "./testkit/dates";

let api: TestApi;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const fromGid = (id: string) => Number(Buffer.from(id, "base64").toString().split(":")[1]);

/** A valid NIK registered in Gambir (31.71.01), born 17 Aug 1990. */
const nik = (serial: number, female = false) => `317101${female ? "57" : "17"}0890${String(serial).padStart(4, "0")}`;

const validInput = (overrides: Record<string, unknown> = {}) => ({
  nik: nik(1),
  fullName: "Siti Rahayu",
  phone: "0812-3456-7890",
  segment: "BPU",
  occupation: "Nelayan",
  ecosystem: "VILLAGE",
  villageCode: "32.73.01.1001",
  reportedMonthlyIncome: "1500000",
  programs: ["JKK", "JKM", "JHT"],
  ...overrides,
});

const REGISTER = `mutation ($input: RegisterParticipantInput!) {
  registerParticipant(input: $input) {
    participant { id nik fullName birthDate sex phone segment occupation riskLevel status paidThrough nextDueDate channel
                  reportedMonthlyIncome programs ecosystem { code } region { code } registeredBy { id } }
    existingParticipant { id }
    userErrors { field code message }
  }
}`;

type Registered = {
  registerParticipant: {
    participant: Record<string, unknown> & { id: string };
    existingParticipant: { id: string } | null;
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

async function register(input: Record<string, unknown>, headers?: Record<string, string>) {
  return api.graphql<Registered>(REGISTER, { input }, headers);
}

async function participantCount() {
  return api.db.$count(participants);
}

beforeAll(async () => {
  api = await startTestApi(); // today: TODAY
});
afterAll(async () => api?.close());

describe("registerParticipant", () => {
  it("registers a worker with birth date and sex from the NIK, a normalised phone and the occupation's risk", async () => {
    // The first due date depends on the day of registration: on the 15th, the due day itself, the
    // registration month's contribution is due that same day.
    api.setToday(at(0, 15));
    const response = await register(validInput({ nik: nik(1, true) })).finally(() => api.setToday(TODAY));
    const { registerParticipant } = dataOf(response);
    expect(registerParticipant.userErrors).toEqual([]);
    expect(registerParticipant.participant).toMatchObject({
      nik: nik(1, true),
      fullName: "Siti Rahayu",
      birthDate: "1990-08-17",
      sex: "FEMALE",
      phone: "+6281234567890",
      occupation: "Nelayan",
      riskLevel: "HIGH",
      status: "PENDING",
      paidThrough: null,
      nextDueDate: dateIn(0, 15),
      channel: "OFFICE",
      reportedMonthlyIncome: "1500000",
      programs: ["JKK", "JKM", "JHT"],
      ecosystem: { code: "VILLAGE" },
      region: { code: "32.73.01.1001" },
      registeredBy: null,
    });
    const [audit] = await api.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.operation, "registerParticipant"))
      .orderBy(auditLog.id);
    expect(audit).toMatchObject({
      actorId: "test-admin",
      actorRole: "ADMIN",
      outcome: "SUCCEEDED",
      targetIds: [`participant:${fromGid(registerParticipant.participant.id)}`],
    });
  });

  it("reports every problem with the input at once, field by field, and creates nothing", async () => {
    const before = await participantCount();
    const response = await register(
      validInput({
        nik: nik(0),
        phone: "+1 202 555 0100",
        occupation: "Astronaut",
        villageCode: "31.71.01.9999",
        reportedMonthlyIncome: "500000",
        programs: ["JKK", "JP"],
      }),
    );
    const { userErrors, participant } = dataOf(response).registerParticipant;
    expect(participant).toBeNull();
    expect(userErrors.map((e) => [e.code, e.field.join(".")])).toEqual([
      ["INVALID_NIK", "input.nik"],
      ["PROGRAM_REQUIRED", "input.programs"],
      ["INCOME_OUT_OF_RANGE", "input.reportedMonthlyIncome"],
      ["UNKNOWN_OCCUPATION", "input.occupation"],
      ["INVALID_PHONE", "input.phone"],
      ["INVALID_VILLAGE", "input.villageCode"],
    ]);
    expect(userErrors[2]?.message).toBe("BPU reported monthly income must be between Rp1,000,000 and Rp20,700,000");
    expect(await participantCount()).toBe(before);
    const rejected = await api.db.select().from(auditLog).where(eq(auditLog.outcome, "REJECTED"));
    expect(rejected.at(-1)?.details).toMatchObject({ codes: userErrors.map((e) => e.code) });
  });

  it.each([
    ["a NIK of 15 digits", { nik: "317101170890001" }, "INVALID_NIK", "input.nik", "NIK must be exactly 16 digits"],
    ["a NIK with 31 February", { nik: "3171013102900001" }, "INVALID_NIK", "input.nik", /real birth date/],
    ["a NIK serial 0000", { nik: nik(0) }, "INVALID_NIK", "input.nik", "NIK serial (last 4 digits) cannot be 0000"],
    [
      "a NIK from an unknown district",
      { nik: "9999011708900001" },
      "INVALID_NIK",
      "input.nik",
      /99\.99\.01 is not a known district/,
    ],
    [
      "a birth date the NIK contradicts",
      { nik: nik(2), birthDate: "1991-08-17" },
      "NIK_MISMATCH",
      "input.birthDate",
      /1990-08-17/,
    ],
    ["a sex the NIK contradicts", { nik: nik(3), sex: "FEMALE" }, "NIK_MISMATCH", "input.sex", /male/],
    ["a one-letter name", { nik: nik(4), fullName: "X" }, "INVALID_INPUT", "input.fullName", /at least 2/],
    ["a name with digits", { nik: nik(4), fullName: "R2D2" }, "INVALID_INPUT", "input.fullName", /letters/],
    [
      "a district code for a village",
      { nik: nik(5), villageCode: "31.71.01" },
      "INVALID_VILLAGE",
      "input.villageCode",
      /4-level/,
    ],
    ["no programs", { nik: nik(6), programs: [] }, "PROGRAM_REQUIRED", "input.programs", /must join JKK/],
    [
      "a program twice",
      { nik: nik(6), programs: ["JKK", "JKM", "JKM"] },
      "DUPLICATE_PROGRAM",
      "input.programs",
      /more than once/,
    ],
    [
      "JKP for a BPU worker",
      { nik: nik(7), programs: ["JKK", "JKM", "JKP"] },
      "PROGRAM_NOT_ALLOWED",
      "input.programs",
      "JKP is not open to BPU participants",
    ],
    [
      "income above the BPU ceiling",
      { nik: nik(8), reportedMonthlyIncome: "20700001" },
      "INCOME_OUT_OF_RANGE",
      "input.reportedMonthlyIncome",
      /Rp20,700,000/,
    ],
    [
      "an unknown registrant",
      { nik: nik(10), registeredById: gid("Participant", 999999) },
      "NOT_FOUND",
      "input.registeredById",
      /registrant/,
    ],
  ])("refuses %s", async (_name, overrides, code, field, message) => {
    const before = await participantCount();
    const { userErrors, participant } = dataOf(await register(validInput(overrides))).registerParticipant;
    expect(participant).toBeNull();
    expect(userErrors).toHaveLength(1);
    expect(userErrors[0]).toMatchObject({ code, field: field.split(".") });
    expect(userErrors[0]?.message).toMatch(message);
    expect(await participantCount()).toBe(before);
  });

  it("refuses a malformed channel as the input is read: channels are typed (RegistrationChannel)", async () => {
    const before = await participantCount();
    const response = await register(validInput({ nik: nik(9), channel: "jmo" }));
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(response.errors?.[0]?.message).toMatch(/capital letters/);
    expect(await participantCount()).toBe(before);
  });

  it("answers the occupation's code beside its name", async () => {
    const { participant } = dataOf(
      await api.graphql<{
        registerParticipant: { participant: { occupation: string; occupationCode: string; channel: string } };
      }>(
        `mutation ($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { occupation occupationCode channel } } }`,
        { input: validInput({ nik: nik(12), occupation: "nelayan" }) },
      ),
    ).registerParticipant;
    expect(participant).toEqual({ occupation: "Nelayan", occupationCode: "NELAYAN", channel: "OFFICE" });
  });

  it("refuses money that is not whole rupiah before it reaches the service", async () => {
    const response = await register(validInput({ nik: nik(11), reportedMonthlyIncome: "1500000.50" }));
    expect(response.errors?.[0]?.message).toMatch(/Rupiah must be a string of digits/);
  });

  it("answers a second registration of a NIK with NIK_ALREADY_REGISTERED and who holds it, if the caller may know", async () => {
    const first = dataOf(
      await register(validInput({ nik: nik(20), villageCode: "31.71.01.1001" })),
    ).registerParticipant;
    const again = dataOf(await register(validInput({ nik: nik(20), fullName: "Someone Else" }))).registerParticipant;
    expect(again.userErrors).toEqual([
      {
        code: "NIK_ALREADY_REGISTERED",
        field: ["input", "nik"],
        message: "A participant with this NIK is already registered",
      },
    ]);
    expect(again.existingParticipant).toEqual({ id: first.participant.id });
    const bandungOfficer = await bearer({ role: "OFFICER", region: "32.73" });
    const hidden = dataOf(await register(validInput({ nik: nik(20) }), bandungOfficer)).registerParticipant;
    expect(hidden.userErrors[0]?.code).toBe("NIK_ALREADY_REGISTERED");
    expect(hidden.existingParticipant).toBeNull();
  });

  it("lets officers register only in their region and partners only with participants:register", async () => {
    const officer = await bearer({ role: "OFFICER", region: "32.73" });
    expect(dataOf(await register(validInput({ nik: nik(30) }), officer)).registerParticipant.userErrors).toEqual([]);
    const outside = await register(validInput({ nik: nik(31), villageCode: "31.71.01.1001" }), officer);
    expect(outside.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const reader = await register(
      validInput({ nik: nik(32) }),
      await bearer({ role: "PARTNER", scopes: ["participants:read"] }),
    );
    expect(reader.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const registrar = await bearer({ role: "PARTNER", scopes: ["participants:register"] });
    const byPartner = dataOf(await register(validInput({ nik: nik(33) }), registrar)).registerParticipant;
    expect(byPartner.userErrors).toEqual([]);
    const sponsor = await register(validInput({ nik: nik(34) }), await bearer({ role: "SPONSOR", sponsorId: 1 }));
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const anonymous = await register(validInput({ nik: nik(35) }), {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await api.db.$count(participants, eq(participants.nik, nik(31)))).toBe(0);
  });

  it("records a participant who registers a worker around them as the registrant (Nyalakan)", async () => {
    const registrant = dataOf(await register(validInput({ nik: nik(40), villageCode: "31.71.01.1001" })))
      .registerParticipant.participant;
    const asParticipant = await bearer({ role: "PARTICIPANT", participantId: fromGid(registrant.id) });
    const helper = dataOf(
      await register(
        validInput({ nik: nik(41, true), fullName: "Asisten Rumah", occupation: "ASISTEN_RUMAH_TANGGA" }),
        asParticipant,
      ),
    ).registerParticipant;
    expect(helper.userErrors).toEqual([]);
    // The registrant sees the workers they registered, through their referrals.
    const referrals = dataOf(
      await api.graphql<{
        participant: { referrals: { totalCount: number; nodes: { fullName: string; channel: string }[] } };
      }>(
        `query ($id: ID!) { participant(id: $id) { referrals(first: 5) { totalCount nodes { fullName channel } } } }`,
        { id: registrant.id },
      ),
    );
    expect(referrals.participant.referrals).toEqual({
      totalCount: 1,
      nodes: [{ fullName: "Asisten Rumah", channel: "JMO" }],
    });
    const registeredBy = dataOf(
      await api.graphql<{ participant: { registeredBy: { id: string } } }>(
        `query ($id: ID!) { participant(id: $id) { registeredBy { id } } }`,
        { id: helper.participant.id },
      ),
    );
    expect(registeredBy.participant.registeredBy.id).toBe(registrant.id);
  });

  it.runIf(process.env.TEST_DATABASE === "postgres")(
    "creates exactly one participant from concurrent registrations of one NIK (real PostgreSQL only: npm run test:deep)",
    async () => {
      const attempts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          register(validInput({ nik: nik(50), fullName: `Racer ${String.fromCharCode(65 + i)}` })),
        ),
      );
      const outcomes = attempts.map((a) => dataOf(a).registerParticipant);
      expect(outcomes.filter((o) => o.participant !== null)).toHaveLength(1);
      expect(outcomes.filter((o) => o.userErrors[0]?.code === "NIK_ALREADY_REGISTERED")).toHaveLength(9);
      expect(await api.db.$count(participants, eq(participants.nik, nik(50)))).toBe(1);
    },
  );
});

describe("updateParticipant", () => {
  const UPDATE = `mutation ($input: UpdateParticipantInput!) {
    updateParticipant(input: $input) {
      participant { phone occupation riskLevel reportedMonthlyIncome programs ecosystem { code } region { code } }
      userErrors { field code message }
    }
  }`;
  type Updated = {
    updateParticipant: { participant: Record<string, unknown> | null; userErrors: { field: string[]; code: string }[] };
  };
  let id: string;

  beforeAll(async () => {
    id = dataOf(await register(validInput({ nik: nik(60) }))).registerParticipant.participant.id;
  });

  it("changes contact, occupation, income and programs and keeps the before and after in the audit log", async () => {
    const { updateParticipant } = dataOf(
      await api.graphql<Updated>(UPDATE, {
        input: {
          id,
          phone: "+62 21 555 1234",
          occupation: "PENJAHIT",
          reportedMonthlyIncome: "2000000",
          programs: ["JKK", "JKM"],
        },
      }),
    );
    expect(updateParticipant).toEqual({
      participant: {
        phone: "+62215551234",
        occupation: "Penjahit",
        riskLevel: "LOW",
        reportedMonthlyIncome: "2000000",
        programs: ["JKK", "JKM"],
        ecosystem: { code: "VILLAGE" },
        region: { code: "32.73.01.1001" },
      },
      userErrors: [],
    });
    const [audit] = await api.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.operation, "updateParticipant"))
      .orderBy(auditLog.id);
    expect(audit?.details).toEqual({
      changes: {
        phone: { from: "+6281234567890", to: "+62215551234" },
        occupation: { from: "Nelayan", to: "Penjahit" },
        riskLevel: { from: "HIGH", to: "LOW" },
        reportedMonthlyIncome: { from: "1500000", to: "2000000" },
        programs: { from: ["JKK", "JKM", "JHT"], to: ["JKK", "JKM"] },
      },
    });
  });

  it("validates changes as registration does and leaves the participant as it was", async () => {
    const { updateParticipant } = dataOf(
      await api.graphql<Updated>(UPDATE, {
        input: { id, programs: ["JKK", "JKM", "JP"], villageCode: "31.71.01.9999" },
      }),
    );
    expect(updateParticipant.participant).toBeNull();
    expect(updateParticipant.userErrors.map((e) => e.code)).toEqual(["PROGRAM_NOT_ALLOWED", "INVALID_VILLAGE"]);
    const [row] = await api.db
      .select()
      .from(participants)
      .where(eq(participants.id, fromGid(id)));
    expect(row?.programs).toEqual(["JKK", "JKM"]);
    const nothing = dataOf(await api.graphql<Updated>(UPDATE, { input: { id } })).updateParticipant;
    expect(nothing.userErrors[0]).toMatchObject({
      code: "INVALID_INPUT",
      message: "Give at least one field to change",
    });
  });

  it("treats a participant outside the caller's view as not found", async () => {
    const jakartaOfficer = await bearer({ role: "OFFICER", region: "31" });
    const { updateParticipant } = dataOf(
      await api.graphql<Updated>(UPDATE, { input: { id, phone: "081234567891" } }, jakartaOfficer),
    );
    expect(updateParticipant.userErrors).toEqual([
      { field: ["input", "id"], code: "NOT_FOUND", message: "No participant has this id" },
    ]);
    const self = await bearer({ role: "PARTICIPANT", participantId: fromGid(id) });
    expect(
      dataOf(await api.graphql<Updated>(UPDATE, { input: { id, phone: null } }, self)).updateParticipant.participant,
    ).toMatchObject({
      phone: null,
    });
  });
});

describe("participantByNik and NIK search", () => {
  it("finds a worker by full NIK for pii:read holders within their view", async () => {
    const query = `query ($nik: String!) { participantByNik(nik: $nik) { fullName nik } }`;
    await register(validInput({ nik: nik(70), fullName: "Cari Saya" }));
    expect(dataOf(await api.graphql<{ participantByNik: unknown }>(query, { nik: nik(70) })).participantByNik).toEqual({
      fullName: "Cari Saya",
      nik: nik(70),
    });
    const noPii = await api.graphql(query, { nik: nik(70) }, await bearer({ role: "OFFICER", region: "32" }));
    expect(noPii.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const elsewhere = await api.graphql(
      query,
      { nik: nik(70) },
      await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] }),
    );
    expect(elsewhere.data).toEqual({ participantByNik: null });
    expect((await api.graphql(query, { nik: "123" })).errors?.[0]?.message).toMatch(/16 digits/);
  });

  it("finds workers by the last four NIK digits for holders of pii:read", async () => {
    const officer = await bearer({ role: "OFFICER", region: "32", scopes: ["pii:read"] });
    const found = dataOf(
      await api.graphql<{ participants: { nodes: { nik: string; fullName: string }[] } }>(
        `{ participants(first: 5, filter: { search: "0070" }) { nodes { nik fullName } } }`,
        {},
        officer,
      ),
    );
    expect(found.participants.nodes).toEqual([{ nik: expect.stringMatching(/0070$/), fullName: "Cari Saya" }]);
  });
});
