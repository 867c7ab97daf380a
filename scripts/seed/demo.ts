import { fakerID_ID as faker } from "@faker-js/faker";
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import {
  coveredMonths,
  participants,
  payments,
  sponsors,
  sponsorshipEnrollments,
  sponsorships,
} from "../../src/db/tables";
import { contributionLines, totalOf } from "../../src/modules/contributions/rules";
import type { Program } from "../../src/modules/contributions/tables";
import { backfillCoverageHistory } from "../../src/modules/dashboard/service";
import type { EcosystemCode } from "../../src/modules/ecosystems/tables";
import { findDuplicateCandidates } from "../../src/modules/identity/duplicates";
import { offlineVerifier } from "../../src/modules/identity/offline-verifier";
import { drainIdentityChecks } from "../../src/modules/identity/queue";
import type { RiskLevel, Segment } from "../../src/modules/participants/tables";
import { paymentKeyDays } from "../../src/modules/payments/tables";
import { currentMonth, monthNumber, monthStart, wibDate } from "../../src/shared/calendar";

type ParticipantRow = typeof participants.$inferInsert;
type PaymentRow = typeof payments.$inferInsert;

const OCCUPATIONS: Record<EcosystemCode, [string, RiskLevel][]> = {
  VILLAGE: [
    ["Petani", "MEDIUM"],
    ["Nelayan", "HIGH"],
    ["Perangkat desa", "LOW"],
    ["Peternak", "MEDIUM"],
  ],
  MARKET: [
    ["Pedagang pasar", "LOW"],
    ["Kuli angkut", "HIGH"],
    ["Penjual sayur", "LOW"],
  ],
  ECOMMERCE: [
    ["Pengemudi ojek daring", "HIGH"],
    ["Kurir", "HIGH"],
    ["Penjual daring", "LOW"],
  ],
  UMKM: [
    ["Penjahit", "LOW"],
    ["Pengrajin", "MEDIUM"],
    ["Pemilik warung", "LOW"],
    ["Tukang las", "HIGH"],
  ],
  VULNERABLE_WORKERS: [
    ["Asisten rumah tangga", "MEDIUM"],
    ["Pemulung", "HIGH"],
    ["Buruh harian", "HIGH"],
  ],
};
const ECOSYSTEMS = Object.keys(OCCUPATIONS) as EcosystemCode[];
const CHANNELS = ["JMO", "JMO", "JMO", "PARTNER", "OFFICE", "PERISAI"];
const SPONSORS = [
  ["PT Sejahtera Nusantara", "COMPANY", "SERTAKAN"],
  ["PT Bank Rakyat Contoh", "COMPANY", "CSR"],
  ["Pemerintah Kabupaten Contoh", "GOVERNMENT", "SERTAKAN"],
  ["Yayasan Peduli Pekerja", "NGO", "SERTAKAN"],
  ["Budi Santoso", "INDIVIDUAL", "NYALAKAN"],
  ["PT Logistik Cepat", "COMPANY", "CSR"],
] as const;

/**
 * Kota Jakarta Pusat holds about a sixth of the demo workers (the rest are spread over the whole
 * country, a handful per regency), so the documentation's regional examples (an officer's work
 * lists, retention outcomes, a regency's dashboard) have rows to show.
 */
const FOCUS_REGENCY = "31.71";
const FOCUS_SHARE = 0.15;

/** NIK: district (6 digits) + birth date DDMMYY, day + 40 for women + a 4-digit serial (not 0000). */
function composeNik(districtCode: string, birthDate: Date, female: boolean, serial: number): string {
  const day = birthDate.getUTCDate() + (female ? 40 : 0);
  const month = birthDate.getUTCMonth() + 1;
  const year = birthDate.getUTCFullYear() % 100;
  return `${districtCode.replaceAll(".", "")}${[day, month, year].map((n) => String(n).padStart(2, "0")).join("")}${String(serial).padStart(4, "0")}`;
}

/** Splits the months from `first` to `last` into payments of 1, 3, 6 or 12 months. */
function paymentTermsCovering(first: number, last: number): [number, number][] {
  const spans: [number, number][] = [];
  let month = first;
  while (month <= last) {
    const left = last - month + 1;
    const term = faker.helpers.arrayElement([1, 1, 3, 6, 12].filter((t) => t <= left));
    spans.push([month, month + term - 1]);
    month += term;
  }
  return spans;
}

/**
 * Realistic demo data for local development: participants across ecosystems, regions, segments
 * and every status, with Nyalakan referrals, Sertakan sponsors and consistent payment histories.
 * Deterministic for a given seed and date. Skips when participants already exist.
 */
/** NIK serials of the offline verifier's outcomes (src/modules/identity/offline-verifier.ts). */
const DEMO_IDENTITY_SERIALS = [9997, 9998, 9995, 9990, 9999];

export async function seedDemoData(
  db: Database,
  options: {
    participants?: number;
    now?: Date;
    seed?: number /** seed even when participants exist */;
    force?: boolean;
  } = {},
) {
  const count = options.participants ?? 2_000;
  const now = options.now ?? new Date();
  faker.seed(options.seed ?? 20_240_131);
  if (!options.force && (await db.$count(participants)) > 0) return { participants: 0, payments: 0 };

  const villages = await db.query.regions.findMany({
    where: { level: "VILLAGE" },
    columns: { code: true, parentCode: true },
  });
  const focusVillages = villages.filter((village) => village.code.startsWith(`${FOCUS_REGENCY}.`));
  const thisMonth = currentMonth(now);
  // Nothing in the demo happened after `now`: a registration or payment drawn later in this month is moved back to it.
  const notAfterNow = (instant: Date) => (instant > now ? now : instant);

  const sponsorIds: number[] = [];
  const sponsorshipIds: number[] = [];
  for (const [name, kind, program] of SPONSORS) {
    const [sponsor] = await db
      .insert(sponsors)
      .values({
        name,
        kind,
        program,
        contactEmail: `csr@${faker.internet.domainWord()}.co.id`,
        contactPhone: "+622150000000",
        createdAt: now.toISOString(),
      })
      .returning({ id: sponsors.id });
    if (!sponsor) throw new Error("sponsor insert returned nothing");
    sponsorIds.push(sponsor.id);
    const [sponsorship] = await db
      .insert(sponsorships)
      .values({
        sponsorId: sponsor.id,
        programs: ["JKK", "JKM"],
        monthsPerPeriod: 1,
        maxParticipants: 500,
        budget: 500n * 16_800n * 12n,
        startsOn: monthStart(thisMonth - 11),
        createdAt: now.toISOString(),
        endsOn: monthStart(thisMonth + 12),
      })
      .returning({ id: sponsorships.id });
    if (!sponsorship) throw new Error("sponsorship insert returned nothing");
    sponsorshipIds.push(sponsorship.id);
  }

  const niks = new Set<string>();
  const insertedIds: number[] = [];
  let paymentCount = 0;
  let keySerial = 0;
  for (let start = 0; start < count; start += 250) {
    const batch: (ParticipantRow & { sponsorIndex: number | null })[] = [];
    for (let i = start; i < Math.min(count, start + 250); i++) {
      const village = faker.helpers.arrayElement(
        focusVillages.length > 0 && faker.number.float() < FOCUS_SHARE ? focusVillages : villages,
      );
      const female = faker.datatype.boolean();
      const birth = faker.date.birthdate({ mode: "age", min: 18, max: 60 });
      let nik = "";
      // The first few carry the serials the offline identity verifier answers on purpose (a name and
      // a birth-date mismatch, a death, an unknown NIK, a registry that never answers), so the demo
      // shows each; everyone else draws an ordinary serial.
      const serial = DEMO_IDENTITY_SERIALS[i] ?? faker.number.int({ min: 1, max: 9989 });
      do nik = composeNik(village.parentCode ?? "", birth, female, serial);
      while (niks.has(nik) && DEMO_IDENTITY_SERIALS[i] === undefined);
      niks.add(nik);
      const ecosystem = faker.helpers.weightedArrayElement(
        ECOSYSTEMS.map((value, k) => ({ value, weight: [30, 20, 15, 20, 15][k] ?? 1 })),
      );
      const [occupation, riskLevel] = faker.helpers.arrayElement(OCCUPATIONS[ecosystem]);
      const segment: Segment = ecosystem === "UMKM" && faker.number.float() < 0.4 ? "PU" : "BPU";
      const sponsored = ecosystem === "VULNERABLE_WORKERS" && faker.number.float() < 0.7;
      const income =
        segment === "PU"
          ? BigInt(faker.number.int({ min: 25, max: 120 }) * 100_000)
          : sponsored
            ? 1_000_000n
            : BigInt(faker.helpers.arrayElement([1_000_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 5_000_000]));
      const programs: Program[] =
        segment === "PU"
          ? ["JKK", "JKM", "JHT", "JP"]
          : sponsored || faker.number.float() < 0.5
            ? ["JKK", "JKM"]
            : ["JKK", "JKM", "JHT"];
      const registeredMonth = thisMonth - faker.number.int({ min: 0, max: 30 });
      const drawnRegistration = new Date(`${monthStart(registeredMonth)}T03:00:00Z`);
      drawnRegistration.setUTCDate(faker.number.int({ min: 1, max: 28 }));
      const registeredAt = notAfterNow(drawnRegistration);
      const roll = faker.number.float();
      // About 60% active, 12% in grace, 18% inactive, 10% never paid.
      const paidThroughMonth =
        roll < 0.1
          ? null
          : roll < 0.7
            ? thisMonth + faker.number.int({ min: 0, max: 2 })
            : roll < 0.82
              ? thisMonth - faker.number.int({ min: 1, max: 2 })
              : thisMonth - faker.number.int({ min: 3, max: 12 });
      const referrer =
        insertedIds.length > 0 && faker.number.float() < 0.35 ? faker.helpers.arrayElement(insertedIds) : null;
      const sponsorIndex = sponsored ? faker.number.int({ min: 0, max: sponsorIds.length - 1 }) : null;
      batch.push({
        nik,
        fullName: faker.person.fullName({ sex: female ? "female" : "male" }).slice(0, 150),
        birthDate: birth.toISOString().slice(0, 10),
        sex: female ? "FEMALE" : "MALE",
        phone: faker.datatype.boolean() ? `+628${faker.string.numeric(10)}` : null,
        segment,
        occupation,
        riskLevel,
        ecosystemCode: ecosystem,
        villageCode: village.code,
        reportedMonthlyIncome: income,
        programs,
        registeredById: referrer,
        sponsorId: sponsorIndex === null ? null : (sponsorIds[sponsorIndex] ?? null),
        sponsorIndex,
        channel: faker.helpers.arrayElement(CHANNELS),
        paidThrough:
          paidThroughMonth === null || paidThroughMonth < registeredMonth ? null : monthStart(paidThroughMonth),
        registeredAt: registeredAt.toISOString(),
        updatedAt: registeredAt.toISOString(),
      });
    }
    const inserted = await db
      .insert(participants)
      .values(batch.map(({ sponsorIndex: _ignored, ...row }) => row))
      .returning({ id: participants.id });

    const paymentRows: PaymentRow[] = [];
    const enrollments: (typeof sponsorshipEnrollments.$inferInsert)[] = [];
    inserted.forEach(({ id }, k) => {
      insertedIds.push(id);
      const row = batch[k];
      if (!row) return;
      if (row.sponsorIndex !== null) {
        const sponsorshipId = sponsorshipIds[row.sponsorIndex];
        if (sponsorshipId) enrollments.push({ sponsorshipId, participantId: id, enrolledAt: row.registeredAt });
      }
      if (!row.paidThrough) return;
      const registered = currentMonth(new Date(row.registeredAt ?? now));
      const last = currentMonth(new Date(`${row.paidThrough}T12:00:00Z`));
      for (const [from, through] of paymentTermsCovering(registered, last)) {
        const months = through - from + 1;
        const lines =
          contributionLines(row.segment, row.programs, row.reportedMonthlyIncome, row.riskLevel, months) ?? [];
        const drawnCreation = new Date(`${monthStart(from)}T02:00:00Z`);
        drawnCreation.setUTCDate(faker.number.int({ min: 1, max: 20 }));
        // Months paid ahead were paid by now, at the latest.
        const createdAt = notAfterNow(drawnCreation);
        const sponsorId = row.sponsorId ?? null;
        paymentRows.push({
          participantId: id,
          idempotencyScope: "demo-seed",
          months,
          coverageFrom: monthStart(from),
          coverageThrough: monthStart(through),
          amount: totalOf(lines),
          lines,
          payer: sponsorId ? "SPONSOR" : "SELF",
          payerSponsorId: sponsorId,
          channel: faker.helpers.arrayElement(["BRIVA", "MANDIRI_VA", "ALFAMART", "INDOMARET", "GOPAY", "OVO"]),
          externalReference: faker.string.alphanumeric({ length: 16, casing: "upper" }),
          status: "SETTLED",
          idempotencyKey: `demo-${++keySerial}`,
          createdAt: createdAt.toISOString(),
          settledAt: createdAt.toISOString(),
        });
      }
    });
    for (let i = 0; i < paymentRows.length; i += 500) {
      const inserted = await db
        .insert(payments)
        .values(paymentRows.slice(i, i + 500))
        .returning({
          id: payments.id,
          participantId: payments.participantId,
          from: payments.coverageFrom,
          months: payments.months,
        });
      // Settled payments cover their months, as settlement would have recorded them.
      const covered = inserted.flatMap((p) =>
        Array.from({ length: p.months }, (_, k) => ({
          participantId: p.participantId,
          paymentId: p.id,
          month: monthStart(monthNumber(p.from) + k),
        })),
      );
      for (let j = 0; j < covered.length; j += 2_000)
        await db.insert(coveredMonths).values(covered.slice(j, j + 2_000));
    }
    if (enrollments.length > 0) await db.insert(sponsorshipEnrollments).values(enrollments);
    paymentCount += paymentRows.length;
  }

  // The keys of the payments still within the days a key is honoured, as payContribution registers them.
  await db.execute(sql`
    insert into payment_keys (idempotency_scope, idempotency_key, payment_id, created_at)
    select idempotency_scope, idempotency_key, id, created_at from payments
    where created_at >= ${new Date(now.getTime() - paymentKeyDays * 86_400_000).toISOString()}::timestamptz
    on conflict do nothing`);
  // What each sponsorship has spent so far is what its sponsor's settled payments add up to.
  await db.execute(
    sql`update sponsorships s set spent = coalesce((select sum(p.amount) from payments p where p.payer_sponsor_id = s.sponsor_id and p.status = 'SETTLED'), 0)`,
  );
  await seedExits(db, now);
  // Every registration asked the registry (a pending check each); the demo's answers are the
  // offline verifier's, given now rather than a minute after `npm run dev` starts.
  await drainIdentityChecks(db, offlineVerifier(), now);
  await seedDuplicates(db, now);
  // The growth line from the first registration to last month, reconstructed as the backfill does.
  await backfillCoverageHistory(db, now);
  return { participants: insertedIds.length, payments: paymentCount };
}

/**
 * About one lapsed member in forty left for good, in the month after their last paid one (so no
 * month paid beyond the exit needs a refund): deaths, departures, disabilities and BPU members'
 * own stops, as `recordExit` would have ended their memberships.
 */
async function seedExits(db: Database, now: Date) {
  const today = wibDate(now);
  await db.execute(sql`
    with chosen as (
      select p.id, least((p.paid_through + interval '1 month' + interval '9 days')::date, ${today}::date) as exit_on,
        case p.id % 4 when 0 then 'DEATH' when 1 then 'LEFT_INDONESIA' when 2 then 'PERMANENT_TOTAL_DISABILITY'
          else case when p.segment = 'BPU' then 'VOLUNTARY_STOP' else 'LEFT_INDONESIA' end end::membership_end_reason as reason
      from participants p
      where p.paid_through < ${monthStart(currentMonth(now))}::date and p.id % 40 = 0 and p.exited_on is null
    ), ended as (
      update memberships m set ended_on = c.exit_on, end_reason = c.reason
      from chosen c where m.participant_id = c.id and m.ended_on is null and m.started_on <= c.exit_on
      returning m.participant_id, m.ended_on
    )
    update participants p set exited_on = e.ended_on from ended e where p.id = e.participant_id`);
}

/**
 * Three people registered twice, as duplicate review meets them: the same name and birth date
 * under another NIK (one digit apart for the first), with the same phone, a day after the first
 * registration; then the duplicate rules run over everyone, as the daily job does over a day.
 */
async function seedDuplicates(db: Database, now: Date) {
  await db.execute(sql`
    insert into participants (nik, full_name, birth_date, sex, phone, segment, occupation, risk_level, ecosystem_code,
      village_code, reported_monthly_income, programs, channel, identity_status, registered_at, updated_at)
    select left(p.nik, 12) || lpad(((right(p.nik, 4)::int % 9000) + 1)::text, 4, '0'), p.full_name, p.birth_date, p.sex,
      coalesce(p.phone, '+6281200000000'), p.segment, p.occupation, p.risk_level, p.ecosystem_code, p.village_code,
      p.reported_monthly_income, p.programs, 'NYALAKAN', 'VERIFIED', least(p.registered_at + interval '1 day', ${now.toISOString()}::timestamptz),
      least(p.registered_at + interval '1 day', ${now.toISOString()}::timestamptz)
    from participants p where p.exited_on is null and p.identity_status = 'VERIFIED'
    order by p.id limit 3
    on conflict (nik) do nothing`);
  await findDuplicateCandidates(db, new Date(0), now);
}
