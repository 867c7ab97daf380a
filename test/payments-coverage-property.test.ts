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
 * given back is exactly the covered months' worth, and the dashboard counts what the rows say.
 */
describe("coverage after any sequence of payments, settlements, refunds, moves and exits", () => {
  it("keeps paidThrough, status, money and the dashboard equal to the covered months", {
    timeout: 300_000,
  }, async () => {
    const api = await startTestApi();
    const admin: Viewer = { kind: "user", role: "ADMIN", subject: "coverage-property", scopes: new Set() };
    let serial = 0;
    const operation = fc.oneof(
      ...paymentSteps([1, 3, 6, 12]),
      fc.record({ kind: fc.constant("advance" as const), months: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("exit" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("move" as const), pick: fc.nat() }),
    );
    // Each worker's history: none, or one month paid (months from TODAY's: six back, two, one, this one).
    const startMonths = fc.array(fc.constantFrom(null, -6, -2, -1, 0), {
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
            const worker = await givenParticipant(api.db, { programs: ["JKK", "JKM"] });
            ids.push(worker.id);
            if (paidOffset !== null) {
              // An earlier settled month, as history: paid on its 10th, or at TODAY if this month's
              // 10th is still ahead (history must not be paid after now).
              const paidAt = [at(paidOffset, 10), TODAY].sort()[0] ?? TODAY;
              const paid = await payContribution(
                { db: api.db, viewer: admin, clock: fixedClock(paidAt), requestId: "p" },
                { participantId: worker.id, months: 1, channel: "BRIVA", idempotencyKey: `cov-prop-${++serial}` },
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
                programs: toPu ? ["JKK", "JKM", "JHT"] : ["JKK", "JKM"],
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
                   (select coalesce(sum((select sum((l->>'monthlyAmount')::bigint) from jsonb_array_elements(y.lines) l)), 0)::text
                     from covered_months k join payments y on y.id = k.payment_id where k.participant_id = p.id) as worth,
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
            expect(row.kept).toBe(row.worth);
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
          numRuns: 20,
          seed: 15_2026,
          // The case: this month, then the next three, then the three after; the middle payment refunded.
          examples: [
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
