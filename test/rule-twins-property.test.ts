import { type SQL, sql } from "drizzle-orm";
import { bigint, date, pgTable, text } from "drizzle-orm/pg-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopes, type Viewer } from "../src/modules/access/rules";
import { kpjFor, MAX_KPJ_SERIAL, parseKpj } from "../src/modules/participants/kpj";
import {
  maskedNik,
  maskedPhone,
  maskNik,
  maskPhone,
  mayReadPersonalData,
  personalDataReadable,
} from "../src/modules/participants/masking";
import {
  hasExited,
  monthsInArrears,
  monthsInArrearsSql,
  participantStatus,
  participantStatuses,
  statusCondition,
} from "../src/modules/participants/rules";
import { canSeeSponsor, sponsorVisibility } from "../src/modules/sponsors/conditions";
import { sponsors } from "../src/modules/sponsors/tables";
import { currentMonth, monthNumber, monthStart, wibDate } from "../src/shared/calendar";
import { startTestDatabase, type TestDatabase } from "./testkit/database";

/**
 * Rules that exist twice, in JS (a resolver's answer, a service's check) and in SQL (the read
 * planner's statement, lists, the rollup triggers): on random input, including what fixtures never
 * reach (short and odd NIKs and phones, null paid-through, the last and first minutes of a WIB
 * month), both must answer the same. Participant visibility has its own such test
 * (test/security.test.ts, "visibility in SQL and in code agree").
 */

let database: TestDatabase;
/** One row of whatever a twin reads, in a table of the test's own. */
const subject = pgTable("rule_twin_subject", {
  id: bigint("id", { mode: "number" }).notNull(),
  nik: text("nik").notNull(),
  phone: text("phone").notNull(),
  paidThrough: date("paid_through", { mode: "string" }),
  exitedOn: date("exited_on", { mode: "string" }),
});

beforeAll(async () => {
  database = await startTestDatabase();
  await database.db.execute(
    sql`create table rule_twin_subject (id bigint not null, nik text not null, phone text not null, paid_through date, exited_on date)`,
  );
});
afterAll(async () => database?.close());

/** Evaluates `expression` over one row holding `row`. */
async function overRow(row: typeof subject.$inferInsert, expression: SQL): Promise<unknown> {
  await database.db.execute(sql`truncate rule_twin_subject`);
  await database.db.insert(subject).values(row);
  const result = await database.db.execute(sql`select ${expression} as value from rule_twin_subject`);
  return (result as unknown as { rows: { value: unknown }[] }).rows[0]?.value;
}

/** Digits and the characters people paste, at every length around the real ones. */
const nikLike = fc.oneof(
  fc.stringMatching(/^[0-9]{16}$/),
  fc.stringMatching(/^[0-9]{0,20}$/),
  fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
);
const phoneLike = fc.oneof(
  fc.stringMatching(/^\+62[0-9]{8,12}$/),
  fc.stringMatching(/^\+?[0-9]{0,16}$/),
  fc.string({ unit: "grapheme-ascii", maxLength: 18 }),
);
/** A paid-through month (first day), or none yet. */
const paidThrough = fc.option(
  fc.integer({ min: 2000 * 12, max: 2040 * 12 }).map((month) => monthStart(month)),
  { nil: null },
);
/** Any instant, and the minutes either side of a WIB month boundary (17:00 UTC on a month's last day). */
const instant = fc.oneof(
  fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2040-12-31T23:59:59Z"), noInvalidDate: true }),
  fc
    .tuple(fc.integer({ min: 2001 * 12, max: 2040 * 12 }), fc.constantFrom(-60_000, -1, 0, 1, 60_000))
    .map(([month, offset]) => new Date(Date.parse(`${monthStart(month)}T00:00:00+07:00`) + offset)),
);
const viewer: fc.Arbitrary<Viewer> = fc.oneof(
  fc.constant<Viewer>({ kind: "anonymous" }),
  fc.record({
    kind: fc.constant("user" as const),
    role: fc.constantFrom("ADMIN", "OFFICER", "SPONSOR", "PARTNER", "PARTICIPANT" as const),
    subject: fc.constantFrom("someone", "registrar"),
    scopes: fc.subarray([...scopes]).map((list) => new Set(list)),
    regionCode: fc.option(fc.constantFrom("31", "31.71"), { nil: undefined }),
    sponsorId: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    participantId: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  }),
);

describe("rules and their SQL twins agree", () => {
  it("maskNik and maskedNik, maskPhone and maskedPhone", async () => {
    await fc.assert(
      fc.asyncProperty(nikLike, phoneLike, async (nik, phone) => {
        const row = { id: 1, nik, phone, paidThrough: null };
        expect(await overRow(row, maskedNik(subject.nik))).toBe(maskNik(nik));
        expect(await overRow(row, maskedPhone(subject.phone))).toBe(maskPhone(phone));
      }),
      { numRuns: 150 },
    );
  });

  it("mayReadPersonalData and personalDataReadable", async () => {
    await fc.assert(
      fc.asyncProperty(viewer, fc.integer({ min: 1, max: 4 }), async (who, id) => {
        const row = { id, nik: "3171015708900001", phone: "+6281234567890", paidThrough: null };
        expect(await overRow(row, personalDataReadable(subject, who))).toBe(mayReadPersonalData(who, { id }));
      }),
      { numRuns: 150 },
    );
  });

  it("monthsInArrears and monthsInArrearsSql, participantStatus and statusCondition", async () => {
    await fc.assert(
      fc.asyncProperty(paidThrough, fc.option(fc.constant("2024-05-17")), instant, async (paid, exitedOn, now) => {
        const row = { id: 1, nik: "3171015708900001", phone: "+6281234567890", paidThrough: paid, exitedOn };
        expect(await overRow(row, monthsInArrearsSql(subject.paidThrough, now))).toBe(monthsInArrears(paid, now));
        const status = participantStatus({ paidThrough: paid, exitedOn }, now);
        for (const candidate of participantStatuses) {
          const holds = await overRow(
            row,
            sql`coalesce(${statusCondition(subject.paidThrough, hasExited(subject), candidate, now)}, false)`,
          );
          expect(holds, `${paid} at ${now.toISOString()}: ${candidate} (JS says ${status})`).toBe(candidate === status);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the calendar: wib_month and month_index (the rollup triggers' SQL functions) and their JS twins", async () => {
    await fc.assert(
      fc.asyncProperty(instant, async (now) => {
        const result = await database.db.execute(
          sql`select wib_month(${now.toISOString()}::timestamptz)::text as month, month_index(wib_month(${now.toISOString()}::timestamptz)) as index`,
        );
        const [row] = (result as unknown as { rows: { month: string; index: number }[] }).rows;
        expect(row?.month).toBe(monthStart(currentMonth(now)));
        expect(row?.month.slice(0, 7)).toBe(wibDate(now).slice(0, 7));
        expect(row?.index).toBe(monthNumber(row?.month ?? ""));
      }),
      { numRuns: 150 },
    );
  });

  it("KPJ numbers: kpj_for (the column default) and kpjFor, and every number it gives checks", async () => {
    const serials = fc.oneof(
      fc.integer({ min: 1, max: MAX_KPJ_SERIAL }),
      fc.constantFrom(1, 9, 10, 99, 100_000, MAX_KPJ_SERIAL),
    );
    await fc.assert(
      fc.asyncProperty(serials, async (serial) => {
        const result = await database.db.execute(sql`select kpj_for(${serial}::bigint) as kpj`);
        const [row] = (result as unknown as { rows: { kpj: string }[] }).rows;
        expect(row?.kpj).toBe(kpjFor(serial));
        expect(parseKpj(row?.kpj ?? "")).toEqual({ kpj: row?.kpj });
      }),
      { numRuns: 150 },
    );
    // Outside the serials a KPJ can carry, both refuse.
    await expect(database.db.execute(sql`select kpj_for(0::bigint)`)).rejects.toThrow();
    expect(() => kpjFor(0)).toThrow(RangeError);
  });

  it("canSeeSponsor and sponsorVisibility", async () => {
    const ids: number[] = [];
    for (const name of ["Twin A", "Twin B", "Twin C"]) {
      const [row] = await database.db
        .insert(sponsors)
        .values({ name, kind: "COMPANY", program: "SERTAKAN", createdAt: new Date(0).toISOString() })
        .returning({ id: sponsors.id });
      if (row) ids.push(row.id);
    }
    const who: fc.Arbitrary<Viewer> = viewer.map((v) =>
      v.kind === "user" && v.sponsorId !== undefined ? { ...v, sponsorId: ids[v.sponsorId % ids.length] } : v,
    );
    await fc.assert(
      fc.asyncProperty(who, async (v) => {
        const seen = await database.db
          .select({ id: sponsors.id })
          .from(sponsors)
          .where(sql`${sponsors.id} in ${ids} and ${sponsorVisibility(sponsors, v)}`);
        expect(seen.map((row) => row.id).sort((a, b) => a - b)).toEqual(ids.filter((id) => canSeeSponsor(v, id)));
      }),
      { numRuns: 100 },
    );
  });
});
