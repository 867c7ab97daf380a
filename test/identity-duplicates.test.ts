import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duplicateCandidates, memberships, participants } from "../src/db/tables";
import { verifyRollups } from "../src/modules/dashboard/service";
import { findDuplicateCandidates } from "../src/modules/identity/duplicates";
import { regionCodesAt } from "../src/modules/regions/service";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { month, monthKey } from "./testkit/dates";
import { givenCoverage, givenParticipant } from "./testkit/fixtures";
import { gid } from "./testkit/payments";

/**
 * Duplicate review (#31 item 4): rules find pairs, officers of the region resolve them, and "the
 * same person" merges one record into the other with nothing paid, covered or credited lost or
 * counted twice.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const now = () => api.clock.now();
const LIST = `query ($regionCode: String) {
  duplicateCandidates(first: 50, regionCode: $regionCode) {
    nodes { id rule participant { id } otherParticipant { id } }
  }
}`;
type List = {
  duplicateCandidates: {
    nodes: { id: string; rule: string; participant: { id: string } | null; otherParticipant: { id: string } | null }[];
  };
};
const RESOLVE = `mutation ($input: ResolveDuplicateInput!) {
  resolveDuplicate(input: $input) {
    candidate { resolution keptParticipant { id } }
    kept { id paidThrough memberships { endReason } }
    refunds { months amount returnedTo }
    userErrors { field code message }
  }
}`;
type Resolved = {
  resolveDuplicate: {
    candidate: { resolution: string; keptParticipant: { id: string } | null } | null;
    kept: { id: string; paidThrough: string | null; memberships: { endReason: string | null }[] } | null;
    refunds: { months: string[]; amount: string; returnedTo: string }[];
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

/** An earlier registration and a later one of the same person (same name and birth date, another NIK). */
async function givenTwice(villageCode: string, name: string) {
  const first = await givenParticipant(api.db, { villageCode, fullName: name, registeredAt: "2026-01-10T03:00:00Z" });
  const second = await givenParticipant(api.db, { villageCode, fullName: name.toUpperCase() });
  return { first, second };
}

async function candidatesOf(participantId: number) {
  return api.db.select().from(duplicateCandidates).where(eq(duplicateCandidates.participantId, participantId));
}

describe("the rules", () => {
  it("find the same name and birth date, NIKs one digit apart, a shared phone, sequential NIKs and bursts, once each", async () => {
    const { first, second } = await givenTwice("31.71.01.1001", "Dewi Lestari");
    const typo = await givenParticipant(api.db, {
      fullName: "Dewi Lestari",
      nik: `${first.nik.slice(0, 12)}5${first.nik.slice(13)}`,
      birthDate: "1991-02-02",
    });
    const phone = "+6281299990000";
    const sharing = [];
    for (let i = 0; i < 3; i++)
      sharing.push(await givenParticipant(api.db, { phone, fullName: `Pekerja ${"ABC"[i]}` }));
    const serial = (n: number) => `317101010190${7000 + n}`;
    const generated = [];
    for (let i = 0; i < 2; i++) {
      generated.push(
        await givenParticipant(api.db, { nik: serial(i), fullName: `Dibuat ${"AB"[i]}`, registeredBySubject: "bot" }),
      );
    }

    const registrant = await givenParticipant(api.db, { fullName: "Perekrut Cepat" });
    const burst = [];
    for (let i = 0; i < 10; i++) {
      burst.push(
        await givenParticipant(api.db, {
          fullName: `Rekrutan ${"ABCDEFGHIJ"[i]}`,
          registeredById: registrant.id,
          registeredAt: new Date(Date.parse(TODAY) - (10 - i) * 30_000).toISOString(),
        }),
      );
    }

    const found = await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now());
    expect(found).toBeGreaterThanOrEqual(5);
    expect((await candidatesOf(second.id)).map((c) => [c.otherParticipantId, c.rule])).toContainEqual([
      first.id,
      "SAME_NAME_AND_BIRTH_DATE",
    ]);
    expect((await candidatesOf(typo.id)).map((c) => c.rule)).toContain("NIK_ONE_DIGIT_APART");
    expect((await candidatesOf(sharing[2]?.id ?? 0)).map((c) => [c.otherParticipantId, c.rule])).toContainEqual([
      sharing[0]?.id,
      "SHARED_PHONE",
    ]);
    expect((await candidatesOf(generated[1]?.id ?? 0)).map((c) => [c.otherParticipantId, c.rule])).toContainEqual([
      generated[0]?.id,
      "SEQUENTIAL_NIKS",
    ]);
    // Ten registrations by one Nyalakan registrant within five minutes: the tenth is a burst's.
    expect((await candidatesOf(burst[9]?.id ?? 0)).map((c) => [c.otherParticipantId, c.rule])).toContainEqual([
      burst[0]?.id,
      "REGISTRATION_BURST",
    ]);
    expect((await candidatesOf(burst[8]?.id ?? 0)).map((c) => c.rule)).not.toContain("REGISTRATION_BURST");
    // Found once: the daily job's next run adds nothing for the same pairs.
    expect(await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now())).toBe(0);

    // The daily job searches province by province: together its steps find exactly these pairs.
    const pairs = async () =>
      (await api.db.select().from(duplicateCandidates))
        .map((c) => `${c.participantId}:${c.otherParticipantId}:${c.rule}`)
        .sort();
    const whole = await pairs();
    await api.db.delete(duplicateCandidates);
    let byProvince = 0;
    for (const province of await regionCodesAt(api.db, "PROVINCE")) {
      byProvince += await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now(), province);
    }
    expect(byProvince).toBe(whole.length);
    expect(await pairs()).toEqual(whole);
  });
});

describe("the work list and its resolution", () => {
  it("is the region's officers' and ADMIN's; NOT_DUPLICATE closes a candidate once", async () => {
    const { second } = await givenTwice("31.73.01.1001", "Rina Wati");
    await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now());
    const officer = await bearer({ role: "OFFICER", region: "31.73" });
    const mine = dataOf(await api.graphql<List>(LIST, {}, officer)).duplicateCandidates.nodes;
    const candidate = mine.find((node) => node.participant?.id === gid("Participant", second.id));
    expect(candidate?.rule).toBe("SAME_NAME_AND_BIRTH_DATE");
    const elsewhere = dataOf(await api.graphql<List>(LIST, {}, await bearer({ role: "OFFICER", region: "32" })));
    expect(elsewhere.duplicateCandidates.nodes).toEqual([]);
    const sponsor = await api.graphql(LIST, {}, await bearer({ role: "SPONSOR", sponsorId: 1 }));
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const input = { candidateId: candidate?.id, resolution: "NOT_DUPLICATE" };
    const resolved = dataOf(await api.graphql<Resolved>(RESOLVE, { input }, officer)).resolveDuplicate;
    expect(resolved).toMatchObject({
      candidate: { resolution: "NOT_DUPLICATE", keptParticipant: null },
      userErrors: [],
    });
    const again = dataOf(await api.graphql<Resolved>(RESOLVE, { input }, officer)).resolveDuplicate;
    expect(again.userErrors).toMatchObject([{ code: "INVALID_TRANSITION", field: ["input", "candidateId"] }]);
    const listed = dataOf(await api.graphql<List>(LIST, {}, officer)).duplicateCandidates.nodes;
    expect(listed.map((node) => node.id)).not.toContain(candidate?.id);
  });

  it("SAME_PERSON merges: payments, months, memberships and referrals move; a month paid twice is refunded once", async () => {
    const { first, second } = await givenTwice("31.74.02.1001", "Joko Susilo");
    await givenCoverage(api.db, first.id, [month(-1), month(0)]);
    await givenCoverage(api.db, second.id, [month(0), month(1), month(2)]);
    await api.db
      .update(participants)
      .set({ paidThrough: month(0) })
      .where(eq(participants.id, first.id));
    await api.db
      .update(participants)
      .set({ paidThrough: month(2) })
      .where(eq(participants.id, second.id));
    const referral = await givenParticipant(api.db, { registeredById: second.id });
    await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now());
    const [candidate] = (await candidatesOf(second.id)).filter((c) => c.rule === "SAME_NAME_AND_BIRTH_DATE");

    const merged = dataOf(
      await api.graphql<Resolved>(RESOLVE, {
        input: { candidateId: gid("DuplicateCandidate", candidate?.id ?? 0), resolution: "SAME_PERSON" },
      }),
    ).resolveDuplicate;

    expect(merged.userErrors).toEqual([]);
    expect(merged.candidate).toEqual({
      resolution: "SAME_PERSON",
      keptParticipant: { id: gid("Participant", first.id) },
    });
    expect(merged.kept?.paidThrough).toBe(monthKey(2));
    expect(merged.kept?.memberships.map((m) => m.endReason).sort()).toEqual(["DUPLICATE", null]);
    expect(merged.refunds).toEqual([{ months: [monthKey(0)], amount: "36800", returnedTo: "PAYER" }]);
    const [gone] = await api.db.select().from(participants).where(eq(participants.id, second.id));
    expect(gone).toMatchObject({ paidThrough: null, exitedOn: TODAY.slice(0, 10) });
    const [credited] = await api.db.select().from(participants).where(eq(participants.id, referral.id));
    expect(credited?.registeredById).toBe(first.id);
    expect(await api.db.$count(memberships, eq(memberships.participantId, second.id))).toBe(0);
    const drift = await verifyRollups(api.db, { repair: false });
    expect(Object.values(drift).every((table) => table.drift === 0)).toBe(true);
  });
});

describe("a merge, whatever the two records paid", () => {
  /** Months as offsets from TODAY's: each record's run is unbroken from its first month to its last. */
  const run = fc
    .option(fc.tuple(fc.integer({ min: -6, max: 0 }), fc.integer({ min: 0, max: 5 })), { nil: null })
    .map((span) => (span === null ? [] : Array.from({ length: span[1] + 1 }, (_, i) => span[0] + i)));

  it("keeps every month covered once, and what was paid and not given back worth exactly those months", async () => {
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(run, run, async (keptMonths, duplicateMonths) => {
        serial += 1;
        const name = `Kembar Nomor ${serial}`;
        const kept = await givenParticipant(api.db, { fullName: name, registeredAt: "2026-01-10T03:00:00Z" });
        const duplicate = await givenParticipant(api.db, { fullName: name });
        for (const [worker, months] of [
          [kept, keptMonths],
          [duplicate, duplicateMonths],
        ] as const) {
          await givenCoverage(api.db, worker.id, months.map(month));
          const last = months.at(-1);
          await api.db
            .update(participants)
            .set({ paidThrough: last === undefined ? null : month(last) })
            .where(eq(participants.id, worker.id));
        }
        await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now());
        const [candidate] = (await candidatesOf(duplicate.id)).filter((c) => c.otherParticipantId === kept.id);
        const merged = dataOf(
          await api.graphql<Resolved>(RESOLVE, {
            input: { candidateId: gid("DuplicateCandidate", candidate?.id ?? 0), resolution: "SAME_PERSON" },
          }),
        ).resolveDuplicate;
        expect(merged.userErrors).toEqual([]);

        const union = [...new Set([...keptMonths, ...duplicateMonths])].sort((a, b) => a - b);
        const rows = (await api.db.execute(sql`
          select c.month::text as month,
            (select sum((l->>'monthlyAmount')::bigint) from jsonb_array_elements(y.lines) l)::text as worth
          from covered_months c join payments y on y.id = c.payment_id where c.participant_id = ${kept.id}
          order by c.month`)) as unknown as { rows: { month: string; worth: string }[] };
        expect(rows.rows.map((row) => row.month.slice(0, 7))).toEqual(union.map(monthKey));
        const money = (await api.db.execute(sql`
          select coalesce(sum(amount - coalesce(refunded_amount, 0)), 0)::text as kept
          from payments where participant_id in (${kept.id}, ${duplicate.id}) and status in ('SETTLED', 'REFUNDED')`)) as unknown as {
          rows: { kept: string }[];
        };
        expect(BigInt(money.rows[0]?.kept ?? "0")).toBe(rows.rows.reduce((sum, row) => sum + BigInt(row.worth), 0n));
        expect(merged.kept?.paidThrough).toBe(union.length === 0 ? null : monthKey(union.at(-1) ?? 0));
      }),
      { numRuns: 15, seed: 31_2026 },
    );
    const drift = await verifyRollups(api.db, { repair: false });
    expect(Object.values(drift).every((table) => table.drift === 0)).toBe(true);
  });
});

describe("a record merged away", () => {
  it("is not registered again as a person of its own", async () => {
    const { first, second } = await givenTwice("31.71.01.1001", "Bayu Pratama");
    await findDuplicateCandidates(api.db, new Date("2026-01-01T00:00:00Z"), now());
    const [candidate] = (await candidatesOf(second.id)).filter((c) => c.otherParticipantId === first.id);
    await api.graphql(RESOLVE, {
      input: { candidateId: gid("DuplicateCandidate", candidate?.id ?? 0), resolution: "SAME_PERSON" },
    });
    const again = dataOf(
      await api.graphql<{
        registerParticipant: { participant: unknown; userErrors: { code: string; message: string }[] };
      }>(
        `mutation ($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { id } userErrors { code message } } }`,
        {
          input: {
            nik: second.nik,
            fullName: "Bayu Pratama",
            segment: "BPU",
            occupation: "Nelayan",
            ecosystem: "VILLAGE",
            villageCode: "31.71.01.1001",
            reportedMonthlyIncome: "1000000",
            programs: ["JKK", "JKM"],
          },
        },
      ),
    ).registerParticipant;
    expect(again.participant).toBeNull();
    expect(again.userErrors).toMatchObject([{ code: "PARTICIPANT_EXITED" }]);
    expect(again.userErrors[0]?.message).toContain("merged");
  });
});
