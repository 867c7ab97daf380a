import { eq } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import { coveredMonths, participants, paymentBatches, payments, sponsors, sponsorships } from "../../src/db/tables";
import { contributionLines, totalOf } from "../../src/modules/contributions/rules";
import { generateApiKey } from "../../src/modules/credentials/api-keys";
import { insertApiKey } from "../../src/modules/credentials/store";
import { lastDateOf, month, TODAY } from "./dates";

type ParticipantInsert = typeof participants.$inferInsert;

let serial = 0;

/** A unique, well-formed NIK for a man born 1 Jan 1990 in the given district (`31.71.01`). */
export function testNik(districtCode = "31.71.01"): string {
  serial += 1;
  return `${districtCode.replaceAll(".", "")}010190${String(serial).padStart(4, "0")}`;
}

/** Arranges one participant directly in the database; defaults describe a BPU worker in Jakarta. */
export async function givenParticipant(db: Database, overrides: Partial<ParticipantInsert> = {}) {
  const [row] = await db
    .insert(participants)
    .values({
      nik: testNik(),
      fullName: "Siti Rahayu",
      birthDate: "1990-01-01",
      sex: "MALE",
      phone: "+6281234567890",
      segment: "BPU",
      occupation: "Pedagang pasar",
      riskLevel: "LOW",
      ecosystemCode: "MARKET",
      villageCode: "31.71.01.1001",
      reportedMonthlyIncome: 1_000_000n,
      programs: ["JKK", "JKM", "JHT"],
      channel: "JMO",
      // A worker the civil registry verified; tests of verification itself say otherwise.
      identityStatus: "VERIFIED",
      // Registered "now" by the tests' clock, never the database's.
      registeredAt: TODAY,
      ...overrides,
      updatedAt: overrides.updatedAt ?? overrides.registeredAt ?? TODAY,
    })
    .returning();
  if (!row) throw new Error("participant insert returned nothing");
  return row;
}

export async function givenSponsor(db: Database, overrides: Partial<typeof sponsors.$inferInsert> = {}) {
  const [row] = await db
    .insert(sponsors)
    .values({ name: "PT Sejahtera Nusantara", kind: "COMPANY", program: "SERTAKAN", createdAt: TODAY, ...overrides })
    .returning();
  if (!row) throw new Error("sponsor insert returned nothing");
  return row;
}

export async function givenSponsorship(db: Database, sponsorId: number) {
  const [row] = await db
    .insert(sponsorships)
    .values({
      sponsorId,
      programs: ["JKK", "JKM"],
      monthsPerPeriod: 1,
      maxParticipants: 100,
      budget: 20_160_000n,
      // Running for a year either side of TODAY.
      startsOn: month(-12),
      endsOn: lastDateOf(12),
      createdAt: TODAY,
    })
    .returning();
  if (!row) throw new Error("sponsorship insert returned nothing");
  return row;
}

/** When a fixture's payment for `month` was made: the 5th of that month, or TODAY if that is still ahead. */
function paidOn(month: string): string {
  return new Date(Math.min(Date.parse(`${month.slice(0, 7)}-05T02:00:00Z`), Date.parse(TODAY))).toISOString();
}

/** A settled one-month BPU payment for `month` (`YYYY-MM-01`), created at `createdAt`. */
export async function givenSettledPayment(
  db: Database,
  participantId: number,
  month: string,
  overrides: Partial<typeof payments.$inferInsert> = {},
) {
  const lines = contributionLines("BPU", ["JKK", "JKM", "JHT"], 1_000_000n, "LOW", 1) ?? [];
  serial += 1;
  const [row] = await db
    .insert(payments)
    .values({
      participantId,
      months: 1,
      coverageFrom: month,
      coverageThrough: month,
      amount: totalOf(lines),
      lines,
      payer: "SELF",
      channel: "BRIVA",
      status: "SETTLED",
      idempotencyScope: "test-fixture",
      idempotencyKey: `fixture-${serial}`,
      createdAt: paidOn(month),
      settledAt: paidOn(month),
      ...overrides,
    })
    .returning();
  if (!row) throw new Error("payment insert returned nothing");
  return row;
}

/** Settled one-month payments and their covered months, as if paid in the past (`YYYY-MM-01` each). */
export async function givenCoverage(
  db: Database,
  participantId: number,
  months: string[],
  overrides: Partial<typeof payments.$inferInsert> = {},
) {
  for (const month of months) {
    const payment = await givenSettledPayment(db, participantId, month, overrides);
    await db.insert(coveredMonths).values({ participantId, paymentId: payment.id, month });
  }
}

/**
 * A partner's API key with these scopes (tied to a sponsor when given), stored as `api-key create`
 * stores one: the key itself, its prefix, and the header a partner sends it in.
 */
export async function givenPartnerKey(
  api: { db: Database; clock: { now(): Date } },
  scopes: string[],
  sponsorId?: number,
) {
  const generated = await generateApiKey();
  await insertApiKey(api.db, {
    name: "Mitra",
    prefix: generated.prefix,
    secretHash: generated.secretHash,
    scopes,
    ...(sponsorId ? { sponsorId } : {}),
    createdAt: api.clock.now().toISOString(),
  });
  return { key: generated.key, prefix: generated.prefix, headers: { "x-api-key": generated.key } };
}

/** A valid `RegisterParticipantInput` for a BPU fisher in Jakarta, as a client sends it (new NIK each call). */
export function registrationInput(nik = testNik()) {
  return {
    nik,
    fullName: "Siti Rahayu",
    phone: "0812-3456-7890",
    segment: "BPU",
    occupation: "Nelayan",
    ecosystem: "VILLAGE",
    villageCode: "31.71.01.1001",
    reportedMonthlyIncome: "1000000",
    programs: ["JKK", "JKM"],
  };
}

/**
 * A sponsored worker's settled three-month JKK + JKM batch payment (this month and the next two),
 * as paySponsoredContributions and its settlement leave it: the batch, the payment, the covered
 * months, the worker's paid-through month and the sponsorship's spending.
 */
export async function givenSponsoredQuarter(
  db: Database,
  sponsorship: { id: number; sponsorId: number },
  participantId: number,
) {
  const lines = contributionLines("BPU", ["JKK", "JKM"], 1_000_000n, "LOW", 3) ?? [];
  serial += 1;
  const [batch] = await db
    .insert(paymentBatches)
    .values({
      sponsorshipId: sponsorship.id,
      months: 3,
      total: totalOf(lines),
      idempotencyScope: "test-fixture",
      idempotencyKey: `fixture-batch-${serial}`,
      paymentCount: 1,
      status: "SETTLED",
      createdAt: TODAY,
      settledAt: TODAY,
    })
    .returning();
  const [paid] = await db
    .insert(payments)
    .values({
      participantId,
      months: 3,
      coverageFrom: month(0),
      coverageThrough: month(2),
      amount: totalOf(lines),
      lines,
      payer: "SPONSOR",
      payerSponsorId: sponsorship.sponsorId,
      channel: "SPONSOR_BUDGET",
      status: "SETTLED",
      idempotencyScope: "test-fixture",
      idempotencyKey: `fixture-${serial}`,
      createdAt: TODAY,
      settledAt: TODAY,
      batchId: batch?.id ?? null,
    })
    .returning();
  if (!paid) throw new Error("payment insert returned nothing");
  await db
    .insert(coveredMonths)
    .values([0, 1, 2].map((offset) => ({ participantId, paymentId: paid.id, month: month(offset) })));
  await db
    .update(participants)
    .set({ paidThrough: month(2) })
    .where(eq(participants.id, participantId));
  await db
    .update(sponsorships)
    .set({ spent: totalOf(lines) })
    .where(eq(sponsorships.id, sponsorship.id));
  return paid;
}
