import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  coveredMonths,
  memberships,
  outboxEvents,
  participants,
  sponsorshipEnrollments,
  sponsorships,
} from "../src/db/tables";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { daysFromToday, lastDateOf, monthKey, TODAY_DATE } from "./testkit/dates";
import { givenParticipant, givenSponsor, givenSponsoredQuarter, givenSponsorship } from "./testkit/fixtures";
import { gid, newKey, pay, payAndSettle } from "./testkit/payments";

/**
 * Segment moves (#30 item 3): hired (BPU → PU) and the job ended (PU → BPU). Each move ends one
 * membership at the month's end and opens the next with its own KPJ number; what was paid beyond
 * that month goes back, once, to whoever paid it.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(); // today: TODAY (month 0 is its WIB month)
});
afterAll(async () => api?.close());

const MOVE = `mutation ($input: MoveSegmentInput!) {
  moveSegment(input: $input) {
    participant { id segment programs reportedMonthlyIncome kpj sponsor { id } paidThrough status
      memberships { kpj segment startedOn endedOn endReason employer { name registrationNumber } } }
    refunds { payment { id status refundedAmount } months amount returnedTo }
    userErrors { field code message }
  }
}`;
type Moved = {
  moveSegment: {
    participant: {
      id: string;
      segment: string;
      programs: string[];
      reportedMonthlyIncome: string;
      kpj: string;
      sponsor: { id: string } | null;
      paidThrough: string | null;
      status: string;
      memberships: {
        kpj: string;
        segment: string;
        startedOn: string;
        endedOn: string | null;
        endReason: string | null;
        employer: { name: string; registrationNumber: string | null } | null;
      }[];
    } | null;
    refunds: {
      payment: { id: string; status: string; refundedAmount: string | null };
      months: string[];
      amount: string;
      returnedTo: string;
    }[];
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

const hired = (participantId: number, input: Record<string, unknown> = {}) => ({
  participantId: gid("Participant", participantId),
  to: "PU",
  effectiveOn: TODAY_DATE,
  employer: { name: "PT Maju Bersama", registrationNumber: "JKT-0012345" },
  reportedMonthlyIncome: "5000000",
  programs: ["JKK", "JKM", "JHT", "JP"],
  ...input,
});

async function move(input: Record<string, unknown>, headers?: Record<string, string>) {
  return dataOf(await api.graphql<Moved>(MOVE, { input }, headers)).moveSegment;
}

describe("hired: BPU to PU", () => {
  it("ends the BPU membership at the month's end, opens a PU one with a new KPJ, and refunds later BPU months", async () => {
    const worker = await givenParticipant(api.db);
    const paymentId = await payAndSettle(api, worker.id, 3); // this month and the next two, as BPU
    const before = await api.db.select().from(memberships).where(eq(memberships.participantId, worker.id));

    const moved = await move(
      hired(worker.id),
      await bearer({ role: "OFFICER", region: "31.71", scopes: ["pii:read"] }),
    );

    expect(moved.userErrors).toEqual([]);
    expect(moved.participant).toMatchObject({
      segment: "PU",
      programs: ["JKK", "JKM", "JHT", "JP"],
      reportedMonthlyIncome: "5000000",
      paidThrough: monthKey(0),
      status: "ACTIVE",
    });
    const [pu, bpu] = moved.participant?.memberships ?? [];
    expect(pu).toMatchObject({
      segment: "PU",
      startedOn: TODAY_DATE,
      endedOn: null,
      employer: { name: "PT Maju Bersama", registrationNumber: "JKT-0012345" },
      kpj: moved.participant?.kpj,
    });
    expect(bpu).toMatchObject({
      segment: "BPU",
      kpj: before[0]?.kpj,
      endedOn: lastDateOf(0),
      endReason: "MOVED_SEGMENT",
      employer: null,
    });
    expect(pu?.kpj).not.toBe(bpu?.kpj);
    expect(moved.refunds).toEqual([
      {
        payment: { id: paymentId, status: "REFUNDED", refundedAmount: "73600" },
        months: [monthKey(1), monthKey(2)],
        amount: "73600",
        returnedTo: "PAYER",
      },
    ]);
    const [event] = await api.db.select().from(outboxEvents).where(eq(outboxEvents.type, "participant.moved"));
    expect(event?.data).toMatchObject({ from: "BPU", to: "PU", effectiveOn: TODAY_DATE, kpj: pu?.kpj });
  });

  it("ends the worker's sponsorship and returns its unused months to the sponsor's budget", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Peduli Pasar" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"], sponsorId: sponsor.id });
    await api.db
      .insert(sponsorshipEnrollments)
      .values({ sponsorshipId: sponsorship.id, participantId: worker.id, enrolledAt: TODAY });
    await givenSponsoredQuarter(api.db, sponsorship, worker.id);

    const moved = await move(hired(worker.id));

    expect(moved.userErrors).toEqual([]);
    expect(moved.participant?.sponsor).toBeNull();
    expect(moved.refunds).toMatchObject([
      { months: [monthKey(1), monthKey(2)], amount: "33600", returnedTo: "SPONSORSHIP_BUDGET" },
    ]);
    const [after] = await api.db.select().from(sponsorships).where(eq(sponsorships.id, sponsorship.id));
    expect(after?.spent).toBe(16_800n);
    const [enrollment] = await api.db
      .select()
      .from(sponsorshipEnrollments)
      .where(eq(sponsorshipEnrollments.participantId, worker.id));
    expect(enrollment?.endedOn).toBe(TODAY_DATE);
    // The sponsor's next batch has nobody left to pay for.
    const PAY_BATCH = `mutation ($input: PaySponsoredContributionsInput!) { paySponsoredContributions(input: $input) { batch { id } userErrors { code } } }`;
    const next = dataOf(
      await api.graphql<{ paySponsoredContributions: { batch: null; userErrors: { code: string }[] } }>(PAY_BATCH, {
        input: { sponsorshipId: gid("Sponsorship", sponsorship.id), months: 1, idempotencyKey: newKey() },
      }),
    ).paySponsoredContributions;
    expect(next.userErrors).toMatchObject([{ code: "NOTHING_TO_PAY" }]);
  });
});

describe("the job ended: PU to BPU", () => {
  it("opens a BPU membership again, which the worker pays for", async () => {
    const worker = await givenParticipant(api.db, {
      segment: "PU",
      programs: ["JKK", "JKM", "JHT", "JP"],
      reportedMonthlyIncome: 4_000_000n,
    });
    const moved = await move({
      participantId: gid("Participant", worker.id),
      to: "BPU",
      effectiveOn: TODAY_DATE,
      reportedMonthlyIncome: "1500000",
      programs: ["JKK", "JKM", "JHT"],
      occupation: "Pedagang pasar",
    });
    expect(moved.userErrors).toEqual([]);
    expect(moved.participant).toMatchObject({ segment: "BPU", reportedMonthlyIncome: "1500000" });
    expect(moved.participant?.memberships.map((m) => [m.segment, m.endReason])).toEqual([
      ["BPU", null],
      ["PU", "MOVED_SEGMENT"],
    ]);
    // JKK 1% + JKM Rp6,800 + JHT 2% of Rp1,500,000.
    expect((await pay(api, worker.id, 1)).amount).toBe("51800");
  });
});

describe("a refused move changes nothing", () => {
  async function state(participantId: number) {
    const [row] = await api.db.select().from(participants).where(eq(participants.id, participantId));
    const held = await api.db.select().from(memberships).where(eq(memberships.participantId, participantId));
    const covered = await api.db.$count(coveredMonths, eq(coveredMonths.participantId, participantId));
    return { row, held, covered };
  }

  it.each([
    [
      "to the segment the member is in",
      { to: "BPU", employer: null, reportedMonthlyIncome: "1000000", programs: ["JKK", "JKM"] },
      "INVALID_MOVE",
      "to",
    ],
    ["to a segment moves do not reach", { to: "JAKON", employer: null }, "INVALID_MOVE", "to"],
    ["dated after today", { effectiveOn: daysFromToday(1) }, "INVALID_MOVE", "effectiveOn"],
    ["dated before the membership began", { effectiveOn: daysFromToday(-40) }, "INVALID_MOVE", "effectiveOn"],
    ["to PU without an employer", { employer: null }, "INVALID_MOVE", "employer"],
    ["without a program PU must have", { programs: ["JKK", "JKM"] }, "PROGRAM_REQUIRED", "programs"],
  ])("%s", async (_case, input, code, field) => {
    const worker = await givenParticipant(api.db);
    await payAndSettle(api, worker.id, 3);
    const before = await state(worker.id);
    const refused = await move(hired(worker.id, input));
    expect(refused.participant).toBeNull();
    expect(refused.userErrors).toContainEqual(expect.objectContaining({ code, field: ["input", field] }));
    expect(refused.userErrors.every((e) => e.message !== "")).toBe(true);
    expect(await state(worker.id)).toEqual(before);
  });

  it("for someone who left membership", async () => {
    const worker = await givenParticipant(api.db);
    await api.db.update(participants).set({ exitedOn: TODAY_DATE }).where(eq(participants.id, worker.id));
    const refused = await move(hired(worker.id));
    expect(refused.userErrors).toMatchObject([{ code: "PARTICIPANT_EXITED", field: ["input", "participantId"] }]);
  });

  it("for callers who may not move workers, or not this one", async () => {
    const worker = await givenParticipant(api.db, { villageCode: "31.71.01.1001" });
    const sponsor = await api.graphql(
      MOVE,
      { input: hired(worker.id) },
      await bearer({ role: "SPONSOR", sponsorId: 1 }),
    );
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const elsewhere = await move(hired(worker.id), await bearer({ role: "OFFICER", region: "32" }));
    expect(elsewhere.userErrors).toMatchObject([{ code: "NOT_FOUND" }]);
  });
});

describe("the dashboard's changes by month", () => {
  const CHANGES = `query ($from: Month!, $to: Month!, $regionCode: String) {
    membershipChanges(from: $from, to: $to, regionCode: $regionCode) {
      month exits { reason participants } exited movedToPu movedToBpu returned
    }
  }`;
  type Changes = {
    membershipChanges: {
      month: string;
      exits: { reason: string; participants: number }[];
      exited: number;
      movedToPu: number;
      movedToBpu: number;
      returned: number;
    }[];
  };
  const village = "35.78.01.1001"; // Surabaya: no other test of this file has workers there
  const RECORD_EXIT = `mutation ($input: RecordExitInput!) { recordExit(input: $input) { userErrors { code } } }`;
  const REGISTER = `mutation ($input: RegisterParticipantInput!) { registerParticipant(input: $input) { participant { id } userErrors { code } } }`;

  it("counts exits by reason, moves each way and members won back, in the month they happened", async () => {
    const nik = (serial: number) => `357801010190${String(serial).padStart(4, "0")}`;
    const [dies, leaves, hiredWorker, returns] = await Promise.all(
      [1, 2, 3, 4].map((serial) => givenParticipant(api.db, { nik: nik(serial), villageCode: village })),
    );
    const exit = (id: number, reason: string) =>
      api.graphql(RECORD_EXIT, { input: { participantId: gid("Participant", id), reason, effectiveOn: TODAY_DATE } });
    await exit(dies?.id ?? 0, "DEATH");
    await exit(leaves?.id ?? 0, "LEFT_INDONESIA");
    await exit(returns?.id ?? 0, "VOLUNTARY_STOP");
    expect((await move(hired(hiredWorker?.id ?? 0))).userErrors).toEqual([]);
    const back = dataOf(
      await api.graphql<{ registerParticipant: { userErrors: unknown[] } }>(REGISTER, {
        input: {
          nik: nik(4),
          fullName: "Siti Rahayu",
          segment: "BPU",
          occupation: "Pedagang pasar",
          ecosystem: "MARKET",
          villageCode: village,
          reportedMonthlyIncome: "1000000",
          programs: ["JKK", "JKM"],
        },
      }),
    ).registerParticipant;
    expect(back.userErrors).toEqual([]);

    const changes = dataOf(
      await api.graphql<Changes>(CHANGES, { from: monthKey(-1), to: monthKey(0), regionCode: "35.78" }),
    ).membershipChanges;
    expect(changes.map((m) => m.month)).toEqual([monthKey(-1), monthKey(0)]);
    expect(changes[0]).toMatchObject({ exited: 0, movedToPu: 0, movedToBpu: 0, returned: 0 });
    expect(changes[1]).toMatchObject({ exited: 3, movedToPu: 1, movedToBpu: 0, returned: 1 });
    expect(Object.fromEntries((changes[1]?.exits ?? []).map((e) => [e.reason, e.participants]))).toEqual({
      DEATH: 1,
      RETIREMENT_AGE: 0,
      PERMANENT_TOTAL_DISABILITY: 0,
      LEFT_INDONESIA: 1,
      VOLUNTARY_STOP: 1,
      DUPLICATE: 0,
    });
    // An officer of the region sees the same; one elsewhere is refused.
    const officer = await bearer({ role: "OFFICER", region: "35.78" });
    expect(
      dataOf(await api.graphql<Changes>(CHANGES, { from: monthKey(0), to: monthKey(0) }, officer)).membershipChanges,
    ).toMatchObject([{ exited: 3, returned: 1 }]);
    const elsewhere = await api.graphql(
      CHANGES,
      { from: monthKey(0), to: monthKey(0), regionCode: "35.78" },
      await bearer({ role: "OFFICER", region: "31" }),
    );
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it.each([
    ["to before from", { from: monthKey(0), to: monthKey(-1) }],
    ["more than 36 months", { from: monthKey(-36), to: monthKey(0) }],
    ["a month still ahead", { from: monthKey(0), to: monthKey(1) }],
  ])("refuses %s with a clear error", async (_case, range) => {
    const refused = await api.graphql(CHANGES, range);
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(refused.errors?.[0]?.message).not.toBe("");
  });
});
