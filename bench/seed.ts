import { sql } from "drizzle-orm";
import { migrateDatabase } from "../scripts/migrate";
import type { NodeConnection } from "../scripts/node-database";
import { seedReferenceData } from "../scripts/seed/reference";
import type { Transaction } from "../src/db/client";
import { contributionLines, totalOf } from "../src/modules/contributions/rules";
import type { Program } from "../src/modules/contributions/tables";
import { rebuildRollup, rollupTables } from "../src/modules/dashboard/store";
import type { RiskLevel, Segment } from "../src/modules/participants/tables";
import { currentMonth, monthStart } from "../src/shared/calendar";

const INCOMES = [1_000_000n, 1_500_000n, 2_000_000n, 3_000_000n, 5_000_000n];
const PLANS: { segment: Segment; programs: Program[]; risk: RiskLevel; occupation: string }[] = [
  { segment: "BPU", programs: ["JKK", "JKM"], risk: "MEDIUM", occupation: "Petani" },
  { segment: "BPU", programs: ["JKK", "JKM", "JHT"], risk: "LOW", occupation: "Pedagang pasar" },
  { segment: "BPU", programs: ["JKK", "JKM"], risk: "HIGH", occupation: "Pengemudi ojek daring" },
  { segment: "BPU", programs: ["JKK", "JKM", "JHT"], risk: "HIGH", occupation: "Nelayan" },
  { segment: "PU", programs: ["JKK", "JKM", "JHT", "JP"], risk: "LOW", occupation: "Karyawan" },
];

/**
 * Bulk, reproducible benchmark data generated inside PostgreSQL (`generate_series` with a fixed
 * `setseed`): participants over all 83k villages and every status, ~5 settled monthly payments
 * each with their covered months, sponsors; then rollups rebuilt and tables analysed. Prices come
 * from the same rate table as the API (a VALUES list computed by `contributionLines`).
 */
export async function seedBench(
  connection: NodeConnection,
  options: { participants: number; seed: number; now: Date; log: (line: string) => void },
) {
  const { db } = connection;
  await migrateDatabase(connection);
  await seedReferenceData(db);
  const marker = `${options.participants}:${options.seed}:${monthStart(currentMonth(options.now))}`;
  await db.execute(sql`create table if not exists bench_marker (marker text primary key)`);
  const existing = await db.execute(sql`select marker from bench_marker`);
  if ((existing.rows as { marker: string }[])[0]?.marker === marker) {
    options.log(`Reusing seeded data (${marker}).`);
    // A migration since the seed may have rewritten a rollup: measure it as autovacuum keeps it.
    await db.execute(sql`vacuum analyze coverage_rollups, monthly_active_rollups, retention_rollups`);
    return;
  }
  const started = Date.now();
  // One session for the whole load: setseed() and the settings below are per session.
  await db.transaction(async (tx) => {
    // Bulk-load mode: no foreign-key checks or rollup triggers per row (rollups are rebuilt from a
    // recount afterwards), and secondary indexes built once at the end instead of row by row.
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql`set local maintenance_work_mem = '512MB'`);
    await tx.execute(sql`truncate bench_marker, audit_log, payment_events, program_months, covered_months, payment_keys, payments, payment_batches,
      sponsorship_enrollments, enrollment_batches, participants, sponsorships, api_keys, sponsors,
      coverage_rollups, monthly_active_rollups, retention_rollups restart identity cascade`);
    const deferred = await dropSecondaryIndexes(tx, BULK_TABLES);
    await loadRows(tx, options, started);
    // Each covered month paid for each program of its payment, as the covered_months trigger
    // writes them outside bulk-load mode (the seed pays full payments only).
    options.log(`  program months (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    await tx.execute(sql`insert into program_months (participant_id, program, month, payment_id)
      select c.participant_id, (l->>'program')::program, c.month, c.payment_id
      from covered_months c join payments p on p.id = c.payment_id cross join jsonb_array_elements(p.lines) l`);
    for (const statement of deferred) {
      options.log(`  ${statement.label} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      await tx.execute(sql.raw(statement.create));
    }
  });
  options.log(`  rollups (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const table of rollupTables) await db.transaction((tx) => rebuildRollup(tx, table));
  // Sets the visibility map too, which index-only scans of the rollups rely on (as after autovacuum).
  await db.execute(sql`vacuum analyze`);
  await db.execute(sql`insert into bench_marker values (${marker})`);
  options.log(`Seeded in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

const BULK_TABLES = ["participants", "payments", "covered_months", "program_months"];

/**
 * Drops the plain indexes and the unique constraints no foreign key depends on, returning the
 * statements that recreate them (definitions read from the catalog, so they follow migrations).
 */
async function dropSecondaryIndexes(tx: Transaction, tables: string[]) {
  const found = await tx.execute(sql`
    select format('index %s', i.indexrelid::regclass) as label, format('drop index %s', i.indexrelid::regclass) as drop,
           -- A partitioned table's index prints as ON ONLY (the parent alone): recreated on the
           -- whole table, so its partitions get theirs.
           replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') as create
      from pg_index i join pg_class t on t.oid = i.indrelid
     where t.relname = any(${`{${tables.join(",")}}`}::name[]) and t.relnamespace = 'public'::regnamespace
       and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
    union all
    select format('constraint %s', c.conname), format('alter table %s drop constraint %I', c.conrelid::regclass, c.conname),
           format('alter table %s add constraint %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
      from pg_constraint c join pg_class t on t.oid = c.conrelid
     where c.contype = 'u' and t.relname = any(${`{${tables.join(",")}}`}::name[]) and t.relnamespace = 'public'::regnamespace
       and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = c.conindid)`);
  const statements = (found as unknown as { rows: { label: string; drop: string; create: string }[] }).rows;
  for (const statement of statements) await tx.execute(sql.raw(statement.drop));
  return statements;
}

async function loadRows(
  db: Transaction,
  options: { participants: number; seed: number; now: Date; log: (line: string) => void },
  started: number,
) {
  const prices = PLANS.flatMap((plan, p) =>
    INCOMES.map((income, i) => {
      const lines =
        contributionLines(plan.segment, plan.programs, plan.segment === "PU" ? income * 2n : income, plan.risk, 1) ??
        [];
      return sql`(${p * INCOMES.length + i}, ${plan.segment}::segment, ${`{${plan.programs.join(",")}}`}::program[], ${plan.risk}::risk_level,
        ${plan.occupation}, ${(plan.segment === "PU" ? income * 2n : income).toString()}::bigint, ${totalOf(lines).toString()}::bigint, ${JSON.stringify(lines)}::jsonb)`;
    }),
  );
  await db.execute(
    sql`create temp table bench_plans (plan int, segment segment, programs program[], risk risk_level, occupation text, income bigint, amount bigint, lines jsonb)`,
  );
  await db.execute(sql`insert into bench_plans values ${sql.join(prices, sql`, `)}`);
  await db.execute(
    sql`create temp table bench_villages as select row_number() over (order by code) as n, code from regions where level = 'VILLAGE'`,
  );
  await db.execute(sql`select setseed(${options.seed / 2 ** 31})`);

  const current = currentMonth(options.now);
  const chunk = 100_000;
  for (let from = 1; from <= options.participants; from += chunk) {
    const to = Math.min(options.participants, from + chunk - 1);
    // NIK: the village's district, then a birth date and serial that encode g, so every NIK is unique
    // (up to 131 M; born 1960-1998, since the bench's own registrations take 1999). Birth dates vary
    // fastest, so neighbours in g are not born on one day: with 600 names, namesakes born on the
    // same day stay rare, and the duplicate search's same-name-and-birth-date rule finds a bench's
    // share of pairs, not every earlier namesake of a 10,000-strong birthday.
    await db.execute(sql`
      insert into participants (nik, full_name, birth_date, sex, phone, segment, occupation, risk_level, ecosystem_code, village_code,
        reported_monthly_income, programs, sponsor_id, channel, paid_through, identity_status, registered_at, updated_at)
      select replace(left(v.code, 8), '.', '') || lpad((1 + g % 28 + case when female then 40 else 0 end)::text, 2, '0')
               || lpad((1 + (g / 28) % 12)::text, 2, '0') || lpad((60 + (g / 336) % 39)::text, 2, '0') || lpad((1 + (g / 13104) % 9999)::text, 4, '0'),
             (array['Siti','Budi','Ani','Agus','Dewi','Rudi','Sri','Joko','Rina','Eko','Wati','Andi','Nur','Ahmad','Yuni',
                    'Hendra','Lina','Dedi','Maya','Rizki','Putri','Fajar','Indah','Bayu','Ratna','Wahyu','Tuti','Arif','Fitri','Yusuf'])[1 + floor(random() * 30)::int] || ' ' ||
             (array['Santoso','Lestari','Rahayu','Wijaya','Saputra','Hidayat','Kurniawan','Susanti','Pratama','Nugroho',
                    'Setiawan','Purnomo','Siregar','Nasution','Simanjuntak','Harahap','Sembiring','Utami','Wibowo','Gunawan'])[1 + floor(random() * 20)::int],
             make_date(1960 + (g / 336) % 39, 1 + (g / 28) % 12, 1 + g % 28),
             case when female then 'FEMALE' else 'MALE' end::sex,
             case when random() < 0.6 then '+628' || lpad((random() * 1e10)::bigint::text, 10, '0') end,
             p.segment, p.occupation, p.risk, eco, v.code, p.income, p.programs,
             case when eco = 'VULNERABLE_WORKERS' and random() < 0.5 then 1 + (random() * 49)::int end,
             (array['JMO','JMO','PARTNER','OFFICE'])[1 + (random() * 3)::int],
             case when r < 0.1 then null
                  when r < 0.7 then make_date(${monthStart(current).slice(0, 4)}::int, ${monthStart(current).slice(5, 7)}::int, 1) + ((random() * 2)::int || ' month')::interval
                  when r < 0.82 then make_date(${monthStart(current).slice(0, 4)}::int, ${monthStart(current).slice(5, 7)}::int, 1) - ((1 + (random())::int) || ' month')::interval
                  else make_date(${monthStart(current).slice(0, 4)}::int, ${monthStart(current).slice(5, 7)}::int, 1) - ((3 + (random() * 9)::int) || ' month')::interval end,
             -- The registry has answered for almost everyone a bench meets (checks are not seeded).
             case when random() < 0.97 then 'VERIFIED' else 'MISMATCH' end::identity_status,
             ${options.now.toISOString()}::timestamptz - ((random() * 900)::int || ' days')::interval,
             ${options.now.toISOString()}::timestamptz
      from (select g, random() as r, random() < 0.5 as female,
                   (array['VILLAGE','VILLAGE','MARKET','ECOMMERCE','UMKM','UMKM','VULNERABLE_WORKERS'])[1 + (random() * 6)::int]::ecosystem_code as eco,
                   1 + (random() * (select count(*) - 1 from bench_villages))::int as vn,
                   (random() * 24)::int as plan
            from generate_series(${from}::int, ${to}::int) g) s
      join bench_villages v on v.n = s.vn
      join bench_plans p on p.plan = s.plan`);
    options.log(
      `  participants ${to.toLocaleString("en")} / ${options.participants.toLocaleString("en")} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  // Registration never after the first covered month: a paid-through participant registered months before.
  await db.execute(
    sql`update participants set paid_through = null where paid_through < date_trunc('month', registered_at)::date`,
  );
  // Payments and their covered months in one statement per slice of participants, for progress.
  const slice = 500_000;
  for (let from = 1; from <= options.participants; from += slice) {
    const to = Math.min(options.participants, from + slice - 1);
    await db.execute(sql`
      with paid as (
        insert into payments (participant_id, months, coverage_from, coverage_through, amount, lines, payer, payer_sponsor_id, channel,
          external_reference, status, idempotency_scope, idempotency_key, created_at, settled_at)
        select p.id, 1, m, m, bp.amount, bp.lines, case when p.sponsor_id is null then 'SELF' else 'SPONSOR' end::payer_kind, p.sponsor_id,
               'BRIVA', 'SEED-' || p.id || '-' || k, 'SETTLED', 'bench-seed', 'seed-' || p.id || '-' || k, m + interval '4 days', m + interval '4 days'
        from participants p
        join bench_plans bp on bp.segment = p.segment and bp.programs = p.programs and bp.risk = p.risk_level and bp.income = p.reported_monthly_income
        cross join lateral generate_series(0, least(8, (extract(year from age(p.paid_through, date_trunc('month', p.registered_at))) * 12
               + extract(month from age(p.paid_through, date_trunc('month', p.registered_at))))::int)) k
        cross join lateral (select (p.paid_through - (k || ' month')::interval)::date as m) months
        where p.paid_through is not null and p.id between ${from} and ${to}
        returning participant_id, coverage_from, id)
      insert into covered_months (participant_id, month, payment_id) select participant_id, coverage_from, id from paid`);
    // What the daily job does in production: partitions ready before the ids reach them.
    await db.execute(sql`select id_partitions_ahead('payments')`);
    options.log(
      `  payments of participants ${to.toLocaleString("en")} / ${options.participants.toLocaleString("en")} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}
