import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditLog,
  coveredMonths,
  memberships,
  outboxEvents,
  participants,
  payments,
  sponsorshipEnrollments,
  sponsorships,
} from "../src/db/tables";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, daysFromToday, month, monthKey, TODAY_DATE } from "./testkit/dates";
import {
  givenCoverage,
  givenParticipant,
  givenSponsor,
  givenSponsoredQuarter,
  givenSponsorship,
  registrationInput,
  testNik,
} from "./testkit/fixtures";
import { gid, newKey, notify, pay, payAndSettle, viewParticipant } from "./testkit/payments";

/**
 * Exits (#30 item 4) and return (item 5): a member who dies, retires or leaves is EXITED from the
 * day it is recorded, the months paid beyond the exit's month go back to whoever paid, and nobody
 * counts, lists, reminds or bills them any more; a former member who registers again comes back
 * as the same person with a new membership.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(); // today: TODAY (month 0 is its WIB month)
});
afterAll(async () => api?.close());

const RECORD_EXIT = `mutation ($input: RecordExitInput!) {
  recordExit(input: $input) {
    participant { id status exitedOn paidThrough memberships { endedOn endReason jkmClaimReference } }
    refunds { payment { id status refundedAmount } months amount returnedTo }
    userErrors { field code message }
  }
}`;
type Exit = {
  recordExit: {
    participant: {
      id: string;
      status: string;
      exitedOn: string | null;
      paidThrough: string | null;
      memberships: { endedOn: string | null; endReason: string | null; jkmClaimReference: string | null }[];
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
const WITHDRAW = `mutation ($input: WithdrawDeathReportInput!) {
  withdrawDeathReport(input: $input) { participant { status exitedOn memberships { endedOn endReason } } userErrors { field code } }
}`;
type Withdrawn = {
  withdrawDeathReport: {
    participant: { status: string; exitedOn: string | null; memberships: { endedOn: string | null }[] } | null;
    userErrors: { field: string[]; code: string }[];
  };
};

async function recordExit(participantId: number, input: Record<string, unknown>, headers?: Record<string, string>) {
  return dataOf(
    await api.graphql<Exit>(
      RECORD_EXIT,
      { input: { participantId: gid("Participant", participantId), ...input } },
      headers,
    ),
  ).recordExit;
}

/** What a refused exit must leave untouched: the row, its memberships and its covered months. */
async function snapshot(participantId: number) {
  const [row] = await api.db.select().from(participants).where(eq(participants.id, participantId));
  const held = await api.db.select().from(memberships).where(eq(memberships.participantId, participantId));
  const covered = await api.db.select().from(coveredMonths).where(eq(coveredMonths.participantId, participantId));
  return { row, held, covered: covered.length };
}

async function eventsOf(participantId: number, type: string) {
  return api.db
    .select()
    .from(outboxEvents)
    .where(and(eq(outboxEvents.participantId, participantId), eq(outboxEvents.type, type)));
}

describe("recording an exit", () => {
  it("ends the membership, refunds every month paid after the exit's month, and makes the member EXITED", async () => {
    const worker = await givenParticipant(api.db, { villageCode: "31.71.01.1001" });
    const paymentId = await payAndSettle(api, worker.id, 6); // this month and the next five
    const officer = await bearer({ role: "OFFICER", region: "31.71" });

    const exit = await recordExit(
      worker.id,
      { reason: "DEATH", effectiveOn: TODAY_DATE, jkmClaimReference: "JKM-2026-000123" },
      officer,
    );

    expect(exit.userErrors).toEqual([]);
    expect(exit.participant).toMatchObject({
      status: "EXITED",
      exitedOn: TODAY_DATE,
      // The month of death stays covered (a JKM claim); nothing after it can be used.
      paidThrough: monthKey(0),
      memberships: [{ endedOn: TODAY_DATE, endReason: "DEATH", jkmClaimReference: "JKM-2026-000123" }],
    });
    // Five months × Rp36,800 (JKK 10,000 + JKM 6,800 + JHT 20,000 at Rp1,000,000), back to the payer.
    expect(exit.refunds).toEqual([
      {
        payment: { id: paymentId, status: "REFUNDED", refundedAmount: "184000" },
        months: [monthKey(1), monthKey(2), monthKey(3), monthKey(4), monthKey(5)],
        amount: "184000",
        returnedTo: "PAYER",
      },
    ]);
    const covered = await api.db.select().from(coveredMonths).where(eq(coveredMonths.participantId, worker.id));
    expect(covered.map((row) => row.month.slice(0, 7))).toEqual([monthKey(0)]);

    const [event] = await eventsOf(worker.id, "participant.exited");
    expect(event?.data).toMatchObject({
      participant: { status: "EXITED" },
      reason: "DEATH",
      effectiveOn: TODAY_DATE,
      jkmClaimReference: "JKM-2026-000123",
      refunds: [{ months: [monthKey(1), monthKey(2), monthKey(3), monthKey(4), monthKey(5)], amount: "184000" }],
    });
    expect(await eventsOf(worker.id, "payment.refunded")).toHaveLength(1);
    const audits = await api.db.select().from(auditLog).where(eq(auditLog.operation, "recordExit"));
    expect(
      audits.some((row) => row.targetIds.includes(`participant:${worker.id}`) && row.outcome === "SUCCEEDED"),
    ).toBe(true);
  });

  it("ends coverage from the month of a back-dated exit, refunding the months paid since", async () => {
    const worker = await givenParticipant(api.db, { registeredAt: at(-6, 10) });
    await givenCoverage(api.db, worker.id, [month(-3), month(-2), month(-1), month(0)]);
    await api.db
      .update(participants)
      .set({ paidThrough: month(0) })
      .where(eq(participants.id, worker.id));

    const exit = await recordExit(worker.id, { reason: "LEFT_INDONESIA", effectiveOn: `${monthKey(-2)}-20` });

    expect(exit.userErrors).toEqual([]);
    expect(exit.participant).toMatchObject({ status: "EXITED", paidThrough: monthKey(-2) });
    expect(exit.refunds.map((refund) => [refund.months, refund.amount])).toEqual([
      [[monthKey(-1)], "36800"],
      [[monthKey(0)], "36800"],
    ]);
  });

  it("returns a sponsor batch's months to the sponsorship's budget", async () => {
    const sponsor = await givenSponsor(api.db);
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"], sponsorId: sponsor.id });
    await givenSponsoredQuarter(api.db, sponsorship, worker.id);

    const exit = await recordExit(worker.id, { reason: "PERMANENT_TOTAL_DISABILITY", effectiveOn: TODAY_DATE });

    expect(exit.refunds).toMatchObject([
      { months: [monthKey(1), monthKey(2)], amount: "33600", returnedTo: "SPONSORSHIP_BUDGET" },
    ]);
    const [after] = await api.db.select().from(sponsorships).where(eq(sponsorships.id, sponsorship.id));
    expect(after?.spent).toBe(16_800n);
  });
});

describe("a refused exit changes nothing", () => {
  it.each([
    ["dated after today", { reason: "DEATH", effectiveOn: daysFromToday(1) }, "INVALID_EXIT_DATE", "effectiveOn"],
    [
      "dated before the membership began",
      { reason: "DEATH", effectiveOn: daysFromToday(-40) },
      "INVALID_EXIT_DATE",
      "effectiveOn",
    ],
    ["retirement before 56", { reason: "RETIREMENT_AGE", effectiveOn: TODAY_DATE }, "EXIT_NOT_ALLOWED", "reason"],
    [
      "a claim reference without a death",
      { reason: "LEFT_INDONESIA", effectiveOn: TODAY_DATE, jkmClaimReference: "JKM-1" },
      "EXIT_NOT_ALLOWED",
      "jkmClaimReference",
    ],
    ["a date that is not one", { reason: "DEATH", effectiveOn: "2026-02-30" }, null, null],
  ])("%s", async (_case, input, code, field) => {
    const worker = await givenParticipant(api.db); // registered TODAY, born 1990
    await payAndSettle(api, worker.id, 3);
    const before = await snapshot(worker.id);
    const response = await api.graphql<Exit>(RECORD_EXIT, {
      input: { participantId: gid("Participant", worker.id), ...input },
    });
    if (code === null) {
      // The Date scalar refuses it before the mutation runs.
      expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    } else {
      const refused = dataOf(response).recordExit;
      expect(refused.participant).toBeNull();
      expect(refused.userErrors).toMatchObject([{ code, field: ["input", field] }]);
      expect(refused.userErrors[0]?.message).not.toBe("");
    }
    expect(await snapshot(worker.id)).toEqual(before);
  });

  it("a voluntary stop of a wage earner's (PU) membership", async () => {
    const worker = await givenParticipant(api.db, { segment: "PU", programs: ["JKK", "JKM", "JHT", "JP"] });
    const refused = await recordExit(worker.id, { reason: "VOLUNTARY_STOP", effectiveOn: TODAY_DATE });
    expect(refused.userErrors).toMatchObject([{ code: "EXIT_NOT_ALLOWED", field: ["input", "reason"] }]);
  });

  it("a second exit of someone who already left", async () => {
    const worker = await givenParticipant(api.db);
    expect((await recordExit(worker.id, { reason: "VOLUNTARY_STOP", effectiveOn: TODAY_DATE })).userErrors).toEqual([]);
    const again = await recordExit(worker.id, { reason: "DEATH", effectiveOn: TODAY_DATE });
    expect(again.userErrors).toMatchObject([{ code: "PARTICIPANT_EXITED", field: ["input", "participantId"] }]);
    const held = await api.db.select().from(memberships).where(eq(memberships.participantId, worker.id));
    expect(held.map((row) => row.endReason)).toEqual(["VOLUNTARY_STOP"]);
  });

  it("is recorded by officers within their region and ADMIN only", async () => {
    const worker = await givenParticipant(api.db, { villageCode: "31.71.01.1001" });
    const elsewhere = await recordExit(
      worker.id,
      { reason: "DEATH", effectiveOn: TODAY_DATE },
      await bearer({ role: "OFFICER", region: "32" }),
    );
    expect(elsewhere.userErrors).toMatchObject([{ code: "NOT_FOUND" }]);
    const sponsor = await api.graphql(
      RECORD_EXIT,
      { input: { participantId: gid("Participant", worker.id), reason: "DEATH", effectiveOn: TODAY_DATE } },
      await bearer({ role: "SPONSOR", sponsorId: 1 }),
    );
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await snapshot(worker.id)).row?.exitedOn).toBeNull();
  });
});

describe("after an exit", () => {
  it("nothing more is paid: a new payment is refused, and one made before is refunded in full when it settles", async () => {
    const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
    const pending = await pay(api, worker.id, 3);
    expect((await recordExit(worker.id, { reason: "DEATH", effectiveOn: TODAY_DATE })).userErrors).toEqual([]);

    const PAY = `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id } userErrors { field code message } } }`;
    const refused = dataOf(
      await api.graphql<{ payContribution: { payment: null; userErrors: { field: string[]; code: string }[] } }>(PAY, {
        input: { participantId: gid("Participant", worker.id), months: 1, channel: "BRIVA", idempotencyKey: newKey() },
      }),
    ).payContribution;
    expect(refused.userErrors).toMatchObject([{ code: "PARTICIPANT_EXITED", field: ["input", "participantId"] }]);

    const settled = await notify(api, {
      reference: newKey(),
      paymentId: pending.id,
      status: "SETTLED",
      amount: pending.amount,
    });
    expect(settled).toMatchObject({ status: 200, body: { outcome: "APPLIED" } });
    const view = await viewParticipant(api, worker.id);
    expect(view).toMatchObject({ status: "EXITED", paidThrough: null });
    expect(view.payments.nodes).toMatchObject([{ status: "REFUNDED", refundedAmount: pending.amount }]);
    expect(await api.db.$count(coveredMonths, eq(coveredMonths.participantId, worker.id))).toBe(0);
  });

  it("is counted as exited, never as active, and is in no work list", async () => {
    const district = "35.78.01"; // Surabaya: a scope of its own in this file
    const stays = await givenParticipant(api.db, { nik: testNik(district), villageCode: "35.78.01.1001" });
    const leaves = await givenParticipant(api.db, { nik: testNik(district), villageCode: "35.78.01.1001" });
    for (const worker of [stays, leaves]) await payAndSettle(api, worker.id, 1);
    const DASHBOARD = `{ coverageDashboard(regionCode: "35.78") { registered active exited } }`;
    const LIST = `{ participants(first: 10, filter: { regionCode: "35.78", status: EXITED }) { totalCount nodes { id } }
      active: participants(first: 10, filter: { regionCode: "35.78", status: ACTIVE }) { totalCount }
      dueSoon: outreachList(first: 10, list: DUE_SOON, withinDays: 31, filter: { regionCode: "35.78" }) { totalCount nodes { id } } }`;
    type Lists = {
      participants: { totalCount: number; nodes: { id: string }[] };
      active: { totalCount: number };
      dueSoon: { totalCount: number; nodes: { id: string }[] };
    };
    const before = dataOf(await api.graphql<Lists>(LIST));
    expect(before.dueSoon.totalCount).toBe(2);

    await recordExit(leaves.id, { reason: "DEATH", effectiveOn: TODAY_DATE });

    const dashboard = dataOf(
      await api.graphql<{ coverageDashboard: { registered: number; active: number; exited: number } }>(DASHBOARD),
    ).coverageDashboard;
    expect(dashboard).toEqual({ registered: 2, active: 1, exited: 1 });
    const after = dataOf(await api.graphql<Lists>(LIST));
    expect(after.participants).toEqual({ totalCount: 1, nodes: [{ id: gid("Participant", leaves.id) }] });
    expect(after.active.totalCount).toBe(1);
    expect(after.dueSoon).toEqual({ totalCount: 1, nodes: [{ id: gid("Participant", stays.id) }] });
  });

  it("a sponsor's batch pays the others and names the worker who left", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Tetap Peduli" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const [left, stays] = [
      await givenParticipant(api.db, { programs: ["JKK", "JKM"], sponsorId: sponsor.id }),
      await givenParticipant(api.db, { programs: ["JKK", "JKM"], sponsorId: sponsor.id }),
    ];
    await api.db.insert(sponsorshipEnrollments).values(
      [left, stays].map((worker) => ({
        sponsorshipId: sponsorship.id,
        participantId: worker?.id ?? 0,
        enrolledAt: TODAY,
      })),
    );
    await recordExit(left?.id ?? 0, { reason: "LEFT_INDONESIA", effectiveOn: TODAY_DATE });

    const PAY_BATCH = `mutation ($input: PaySponsoredContributionsInput!) {
      paySponsoredContributions(input: $input) { batch { total paymentCount } skippedWorkers { code message } userErrors { code } }
    }`;
    const paid = dataOf(
      await api.graphql<{
        paySponsoredContributions: {
          batch: { total: string; paymentCount: number };
          skippedWorkers: { code: string; message: string }[];
          userErrors: unknown[];
        };
      }>(PAY_BATCH, {
        input: { sponsorshipId: gid("Sponsorship", sponsorship.id), months: 1, idempotencyKey: newKey() },
      }),
    ).paySponsoredContributions;
    expect(paid.userErrors).toEqual([]);
    expect(paid.batch).toEqual({ total: "16800", paymentCount: 1 });
    expect(paid.skippedWorkers).toMatchObject([{ code: "PARTICIPANT_EXITED" }]);
    expect(paid.skippedWorkers[0]?.message).toContain(String(left?.id));
  });
});

describe("a sponsor's enrollment file naming someone who left", () => {
  it("refuses that row with the reason, and enrolls the others", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Daftar Ulang" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const left = await givenParticipant(api.db, { fullName: "Pergi Jauh", programs: ["JKK", "JKM"] });
    await recordExit(left.id, { reason: "LEFT_INDONESIA", effectiveOn: TODAY_DATE });
    const row = (nik: string, fullName: string) => ({
      nik,
      fullName,
      segment: "BPU",
      occupation: "Pedagang pasar",
      ecosystem: "MARKET",
      villageCode: "31.71.01.1001",
      reportedMonthlyIncome: "1000000",
      programs: ["JKK", "JKM"],
    });
    const ENROLL = `mutation ($input: EnrollSponsoredParticipantsInput!) {
      enrollSponsoredParticipants(input: $input) { created userErrors { field code message } }
    }`;
    const enrolled = dataOf(
      await api.graphql<{
        enrollSponsoredParticipants: {
          created: number;
          userErrors: { field: string[]; code: string; message: string }[];
        };
      }>(ENROLL, {
        input: {
          sponsorshipId: gid("Sponsorship", sponsorship.id),
          idempotencyKey: newKey(),
          participants: [row(left.nik, "Pergi Jauh"), row(testNik(), "Baru Daftar")],
        },
      }),
    ).enrollSponsoredParticipants;
    expect(enrolled.userErrors).toMatchObject([{ code: "PARTICIPANT_EXITED" }]);
    expect(enrolled.userErrors[0]?.field).toContain("nik");
    expect(enrolled.userErrors[0]?.message).toContain(TODAY_DATE);
    expect(await api.db.$count(sponsorshipEnrollments, eq(sponsorshipEnrollments.participantId, left.id))).toBe(0);
  });
});

describe("withdrawing a death report", () => {
  it("is ADMIN's, with a reason, and opens the memberships again (the refunds stay)", async () => {
    const worker = await givenParticipant(api.db);
    await payAndSettle(api, worker.id, 3);
    await recordExit(worker.id, { reason: "DEATH", effectiveOn: TODAY_DATE });
    const input = { participantId: gid("Participant", worker.id), reason: "Salah orang: yang meninggal kakaknya." };

    const officer = await api.graphql(WITHDRAW, { input }, await bearer({ role: "OFFICER", region: "31" }));
    expect(officer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const terse = dataOf(await api.graphql<Withdrawn>(WITHDRAW, { input: { ...input, reason: "salah" } }));
    expect(terse.withdrawDeathReport.userErrors).toMatchObject([{ code: "INVALID_INPUT", field: ["input", "reason"] }]);

    const withdrawn = dataOf(await api.graphql<Withdrawn>(WITHDRAW, { input })).withdrawDeathReport;
    expect(withdrawn).toEqual({
      participant: { status: "ACTIVE", exitedOn: null, memberships: [{ endedOn: null, endReason: null }] },
      userErrors: [],
    });
    expect(await eventsOf(worker.id, "participant.exit_withdrawn")).toMatchObject([
      { data: { withdrawalReason: input.reason, effectiveOn: TODAY_DATE } },
    ]);
    const again = dataOf(await api.graphql<Withdrawn>(WITHDRAW, { input })).withdrawDeathReport;
    expect(again.userErrors).toMatchObject([{ code: "NOT_EXITED" }]);
  });

  it("is refused for an exit that was not a death", async () => {
    const worker = await givenParticipant(api.db);
    await recordExit(worker.id, { reason: "VOLUNTARY_STOP", effectiveOn: TODAY_DATE });
    const refused = dataOf(
      await api.graphql<Withdrawn>(WITHDRAW, {
        input: { participantId: gid("Participant", worker.id), reason: "Peserta ingin kembali aktif." },
      }),
    ).withdrawDeathReport;
    expect(refused.userErrors).toMatchObject([{ code: "NOT_EXITED" }]);
    expect((await snapshot(worker.id)).row?.exitedOn).toBe(TODAY_DATE);
  });
});

describe("a former member registering again (return)", () => {
  const REGISTER = `mutation ($input: RegisterParticipantInput!) {
    registerParticipant(input: $input) {
      participant { id status exitedOn kpj segment memberships { kpj segment startedOn endedOn endReason } }
      userErrors { field code message }
    }
  }`;
  type Registered = {
    registerParticipant: {
      participant: {
        id: string;
        status: string;
        exitedOn: string | null;
        kpj: string;
        segment: string;
        memberships: {
          kpj: string;
          segment: string;
          startedOn: string;
          endedOn: string | null;
          endReason: string | null;
        }[];
      } | null;
      userErrors: { field: string[]; code: string; message: string }[];
    };
  };

  it("comes back as the same person with a new membership and number, the history kept", async () => {
    const first = dataOf(await api.graphql<Registered>(REGISTER, { input: registrationInput() })).registerParticipant;
    const id = first.participant?.id ?? "";
    const participantId = Number(Buffer.from(id, "base64").toString().split(":")[1]);
    const nik = (await snapshot(participantId)).row?.nik ?? "";
    await recordExit(participantId, { reason: "VOLUNTARY_STOP", effectiveOn: TODAY_DATE });

    const back = dataOf(
      await api.graphql<Registered>(REGISTER, { input: { ...registrationInput(nik), occupation: "Petani" } }),
    ).registerParticipant;

    expect(back.userErrors).toEqual([]);
    expect(back.participant).toMatchObject({ id, status: "PENDING", exitedOn: null });
    const [current, former] = back.participant?.memberships ?? [];
    expect(current).toMatchObject({ startedOn: TODAY_DATE, endedOn: null, kpj: back.participant?.kpj });
    expect(former).toMatchObject({ endedOn: TODAY_DATE, endReason: "VOLUNTARY_STOP", kpj: first.participant?.kpj });
    expect(current?.kpj).not.toBe(former?.kpj);
    expect(await eventsOf(participantId, "participant.returned")).toHaveLength(1);
  });

  it("is refused for someone recorded as deceased, with what an administrator can do", async () => {
    const worker = await givenParticipant(api.db);
    await recordExit(worker.id, { reason: "DEATH", effectiveOn: TODAY_DATE });
    const refused = dataOf(
      await api.graphql<Registered>(REGISTER, { input: registrationInput(worker.nik) }),
    ).registerParticipant;
    expect(refused.participant).toBeNull();
    expect(refused.userErrors).toMatchObject([{ code: "PARTICIPANT_EXITED", field: ["input", "nik"] }]);
    expect(refused.userErrors[0]?.message).toContain(TODAY_DATE);
    expect(await api.db.$count(memberships, eq(memberships.participantId, worker.id))).toBe(1);
  });

  it("still refuses a NIK whose holder is a member", async () => {
    const worker = await givenParticipant(api.db);
    const refused = dataOf(
      await api.graphql<Registered>(REGISTER, { input: registrationInput(worker.nik) }),
    ).registerParticipant;
    expect(refused.userErrors).toMatchObject([{ code: "NIK_ALREADY_REGISTERED" }]);
  });
});

/** Races need real PostgreSQL (PGlite runs one statement at a time): `npm run test:deep`. */
describe.runIf(process.env.TEST_DATABASE === "postgres")("an exit racing a payment (real PostgreSQL)", () => {
  /** What was paid and not given back must be exactly the worth of the months still covered. */
  async function moneyHolds(participantId: number) {
    const held = await api.db.select().from(payments).where(eq(payments.participantId, participantId));
    const covered = await api.db.select().from(coveredMonths).where(eq(coveredMonths.participantId, participantId));
    const monthly = new Map(
      held.map((payment) => [payment.id, payment.lines.reduce((sum, line) => sum + BigInt(line.monthlyAmount), 0n)]),
    );
    const kept = held
      .filter((payment) => payment.status === "SETTLED" || payment.status === "REFUNDED")
      .reduce((sum, payment) => sum + payment.amount - (payment.refundedAmount ?? 0n), 0n);
    const worth = covered.reduce((sum, row) => sum + (monthly.get(row.paymentId) ?? 0n), 0n);
    return { kept, worth, months: covered.map((row) => row.month.slice(0, 7)).sort() };
  }

  it("leaves nothing paid lost or counted twice, whichever commits first", async () => {
    for (let round = 0; round < 8; round++) {
      const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
      await payAndSettle(api, worker.id, 1); // this month
      const pending = await pay(api, worker.id, 3); // the next three, not settled yet
      const [exit, settled] = await Promise.all([
        recordExit(worker.id, { reason: "DEATH", effectiveOn: TODAY_DATE }),
        notify(api, { reference: newKey(), paymentId: pending.id, status: "SETTLED", amount: pending.amount }),
      ]);
      expect(exit.userErrors).toEqual([]);
      expect(settled.status).toBe(200);
      const view = await viewParticipant(api, worker.id);
      expect(view).toMatchObject({ status: "EXITED", paidThrough: monthKey(0) });
      // Settled first: refunded at the exit for its three months; exit first: refunded in full on arrival.
      expect(view.payments.nodes.find((p) => p.id === pending.id)).toMatchObject({
        status: "REFUNDED",
        refundedAmount: pending.amount,
      });
      const money = await moneyHolds(worker.id);
      expect(money.months).toEqual([monthKey(0)]);
      expect(money.kept).toBe(money.worth);
    }
  });

  it("a sponsor batch racing an exit pays for a member or skips them, never both", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Balapan" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const workers = await Promise.all(
      Array.from({ length: 6 }, () => givenParticipant(api.db, { programs: ["JKK", "JKM"], sponsorId: sponsor.id })),
    );
    await api.db
      .insert(sponsorshipEnrollments)
      .values(
        workers.map((worker) => ({ sponsorshipId: sponsorship.id, participantId: worker.id, enrolledAt: TODAY })),
      );
    const PAY_BATCH = `mutation ($input: PaySponsoredContributionsInput!) {
      paySponsoredContributions(input: $input) { batch { id paymentCount } skippedWorkers { code } userErrors { code } }
    }`;
    const [batch, ...exits] = await Promise.all([
      api.graphql<{
        paySponsoredContributions: { batch: { id: string; paymentCount: number }; skippedWorkers: unknown[] };
      }>(PAY_BATCH, {
        input: { sponsorshipId: gid("Sponsorship", sponsorship.id), months: 1, idempotencyKey: newKey() },
      }),
      ...workers
        .slice(0, 3)
        .map((worker) => recordExit(worker.id, { reason: "LEFT_INDONESIA", effectiveOn: TODAY_DATE })),
    ]);
    for (const exit of exits) expect(exit.userErrors).toEqual([]);
    const paid = dataOf(batch).paySponsoredContributions;
    expect(paid.batch.paymentCount + paid.skippedWorkers.length).toBe(6);
    const [after] = await api.db.select().from(sponsorships).where(eq(sponsorships.id, sponsorship.id));
    // The budget holds exactly the batch's pending payments: one per worker it paid, none twice.
    expect(after?.spent).toBe(16_800n * BigInt(paid.batch.paymentCount));
  });
});
