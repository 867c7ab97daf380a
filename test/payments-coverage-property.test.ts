import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Viewer } from "../src/modules/access/rules";
import { coverageDashboard, verifyRollups } from "../src/modules/dashboard/service";
import { moveSegment, recordExit } from "../src/modules/membership-changes/service";
import { participantStatus } from "../src/modules/participants/rules";
import { applyPaymentOutcome, payContribution } from "../src/modules/payments/service";
import { monthNumber, monthStart, wibDate } from "../src/shared/calendar";
import { fixedClock } from "../src/shared/clock";
import { startTestApi, TODAY } from "./testkit/api";
import { at, month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { PaymentHistory, paymentSteps } from "./testkit/payment-steps";

/**
 * Whatever order workers pay, settle, fail and refund in, move between BPU and PU or leave
 * membership, and however time passes between: `paidThrough` is the end of an unbroken run of
 * covered months, the status follows from it (EXITED once a member left), what was paid and not
 * given back is exactly the worth of the program-months still paid (JKK + JKM from one payment, JHT
 * perhaps as a part from another), no program is paid on a month whose JKK and JKM are not, and the
 * dashboard counts what the rows say.
 */
describe("coverage after any sequence of payments, settlements, refunds, moves and exits", () => {
  it("keeps paidThrough, status, money and the dashboard equal to the covered months", {
    timeout: 300_000,
  }, async () => {
    const api = await startTestApi();
    const admin: Viewer = { kind: "user", role: "ADMIN", subject: "coverage-property", scopes: new Set() };
    let serial = 0;
    const operation = fc.oneof(
      ...paymentSteps([1, 3, 6, 12], true),
      fc.record({ kind: fc.constant("advance" as const), months: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("exit" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("move" as const), pick: fc.nat() }),
    );
    // Each worker's history: none, or one month paid (months from TODAY's: six back, two, one, this one).
    const startMonths = fc.array(fc.constantFrom(null, -6, -2, -1, 0, 0, 0), {
      minLength: 1,
      maxLength: 3,
    });
    try {
      await fc.assert(
        fc.asyncProperty(startMonths, fc.array(operation, { minLength: 1, maxLength: 14 }), async (starts, ops) => {
          // Starts at TODAY itself; "advance" moves to the 15th of a later month.
          let now = new Date(TODAY);
          let offset = 0;
          const ids: number[] = [];
          for (const paidOffset of starts) {
            // JHT joined, so payments may pay JKK + JKM alone and JHT as a part beside them.
            const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM", "JHT"] });
            ids.push(worker.id);
            if (paidOffset !== null) {
              // An earlier settled month, as history: paid on its 10th, or at TODAY if this month's
              // 10th is still ahead (history must not be paid after now).
              const paidAt = [at(paidOffset, 10), TODAY].sort()[0] ?? TODAY;
              const paid = await payContribution(
                { db: api.db, viewer: admin, clock: fixedClock(paidAt), requestId: "p" },
                // JKK + JKM only, as a sponsor pays: the worker's JHT may be topped up by a part.
                {
                  participantId: worker.id,
                  months: 1,
                  channel: "BRIVA",
                  idempotencyKey: `cov-prop-${++serial}`,
                  programs: ["JKK", "JKM"],
                },
              );
              const paymentId = paid.payment?.id;
              if (paymentId === undefined) throw new Error("history payment refused");
              await api.db.transaction((tx) => applyPaymentOutcome(tx, paymentId, "SETTLED", new Date(paidAt), {}));
            }
          }
          const history = new PaymentHistory(api, admin);
          const exited = new Set<number>();
          for (const op of ops) {
            const context = { db: api.db, viewer: admin, clock: fixedClock(now.toISOString()), requestId: "step" };
            const id = "pick" in op ? (ids[op.pick % ids.length] ?? 0) : 0;
            if (op.kind === "advance") {
              offset += op.months;
              now = new Date(at(offset, 15));
            } else if (op.kind === "exit") {
              const exit = await recordExit(context, {
                participantId: id,
                reason: "LEFT_INDONESIA",
                effectiveOn: wibDate(now),
              });
              expect(exit.userErrors.map((e) => e.code)).toEqual(exited.has(id) ? ["PARTICIPANT_EXITED"] : []);
              exited.add(id);
            } else if (op.kind === "move") {
              const [row] = (
                (await api.db.execute(sql`select segment from participants where id = ${id}`)) as unknown as {
                  rows: { segment: string }[];
                }
              ).rows;
              const toPu = row?.segment === "BPU";
              const moved = await moveSegment(context, {
                participantId: id,
                to: toPu ? "PU" : "BPU",
                effectiveOn: wibDate(now),
                employer: toPu ? { name: "PT Sentosa", registrationNumber: null } : null,
                reportedMonthlyIncome: toPu ? 5_000_000n : 1_000_000n,
                programs: ["JKK", "JKM", "JHT"],
              });
              expect(moved.userErrors.map((e) => e.code)).toEqual(exited.has(id) ? ["PARTICIPANT_EXITED"] : []);
            } else if (op.kind === "pay" && exited.has(id)) {
              await expect(history.apply(op, id, now)).rejects.toThrow("PARTICIPANT_EXITED");
            } else {
              await history.apply(op, id, now);
            }
          }

          const current = monthNumber(month(offset));
          const rows = (await api.db.execute(sql`
            select p.id, p.paid_through::text as paid_through, p.exited_on::text as exited_on,
                   coalesce(array_agg(c.month::text order by c.month) filter (where c.month is not null), '{}') as months,
                   (select coalesce(sum(y.amount - coalesce(y.refunded_amount, 0)), 0)::text from payments y
                     where y.participant_id = p.id and y.status in ('SETTLED', 'REFUNDED')) as kept,
                   (select coalesce(sum((select (l->>'monthlyAmount')::bigint from jsonb_array_elements(y.lines) l
                                          where l->>'program' = k.program::text)), 0)::text
                     from program_months k join payments y on y.id = k.payment_id where k.participant_id = p.id) as worth,
                   -- Program-months on a month whose JKK and JKM nobody paid, or a covered month missing them.
                   (select count(*)::int from program_months k where k.participant_id = p.id and not exists (
                      select 1 from covered_months c where c.participant_id = k.participant_id and c.month = k.month)) as stray,
                   (select count(*)::int from covered_months c where c.participant_id = p.id and (
                      select count(*) from program_months k where k.participant_id = c.participant_id and k.month = c.month
                        and k.payment_id = c.payment_id and k.program in ('JKK', 'JKM')) <> 2) as unpaid,
                   (select count(*)::int from memberships m where m.participant_id = p.id and m.ended_on is null) as open
            from participants p left join covered_months c on c.participant_id = p.id
            group by p.id`)) as unknown as {
            rows: {
              id: number;
              paid_through: string | null;
              exited_on: string | null;
              months: string[];
              kept: string;
              worth: string;
              stray: number;
              unpaid: number;
              open: number;
            }[];
          };
          const expected = { registered: 0, pending: 0, active: 0, grace: 0, inactive: 0, exited: 0 };
          for (const row of rows.rows) {
            const months = row.months.map(monthNumber);
            const last = months.length === 0 ? null : Math.max(...months);
            expect(row.paid_through).toBe(last === null ? null : monthStart(last));
            if (ids.includes(Number(row.id)) && last !== null) {
              // Every month from the current one (or paidThrough, if earlier) to paidThrough is covered.
              for (let m = Math.min(current, last); m <= last; m++) expect(months).toContain(m);
            }
            // Nothing paid is lost or counted twice; a member holds one open membership, someone who left none.
            // Each program-month's worth counts once; every program is paid on JKK + JKM months only.
            expect(row.kept).toBe(row.worth);
            expect(row.stray).toBe(0);
            expect(row.unpaid).toBe(0);
            expect(row.open).toBe(row.exited_on === null ? 1 : 0);
            if (row.exited_on !== null && last !== null) expect(last).toBeLessThanOrEqual(monthNumber(row.exited_on));
            expected.registered += 1;
            const status = participantStatus({ paidThrough: row.paid_through, exitedOn: row.exited_on }, now);
            expected[status.toLowerCase() as "pending" | "active" | "grace" | "inactive" | "exited"] += 1;
            if (status === "ACTIVE" && ids.includes(Number(row.id))) expect(months).toContain(current);
          }
          const dashboard = await coverageDashboard({ db: api.db, viewer: admin }, { asOf: now });
          expect({
            registered: dashboard.registered,
            pending: dashboard.pending,
            active: dashboard.active,
            grace: dashboard.grace,
            inactive: dashboard.inactive,
            exited: dashboard.exited,
          }).toEqual(expected);
          const drift = await verifyRollups(api.db, { repair: false });
          expect(Object.values(drift).every((table) => table.drift === 0)).toBe(true);
        }),
        {
          numRuns: 30,
          seed: 15_2026,
          // The case: this month, then the next three, then the three after; the middle payment refunded.
          examples: [
            // A sponsor-like payment of JKK + JKM for three months, the worker's JHT part on them,
            // then the JKK + JKM payment refunded: the part's unused months go back with it.
            [
              [null],
              [
                { kind: "pay", pick: 0, months: 3, outcome: "SETTLED", programs: ["JKK", "JKM"] },
                { kind: "pay", pick: 0, months: 3, outcome: "SETTLED", programs: ["JHT"] },
                { kind: "pay", pick: 0, months: 1, outcome: "SETTLED", programs: null },
                { kind: "refund", pick: 0 },
                { kind: "pay", pick: 0, months: 1, outcome: "SETTLED", programs: ["JHT"] },
              ],
            ],
            [
              [null],
              [
                { kind: "pay", pick: 0, months: 1, outcome: "SETTLED" },
                { kind: "pay", pick: 0, months: 3, outcome: "SETTLED" },
                { kind: "pay", pick: 0, months: 3, outcome: "SETTLED" },
                { kind: "refund", pick: 1 },
              ],
            ],
          ],
        },
      );
    } finally {
      await api.close();
    }
  });
});
