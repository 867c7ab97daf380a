import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Viewer } from "../src/modules/access/rules";
import { coverageDashboard, verifyRollups } from "../src/modules/dashboard/service";
import { membershipStatus } from "../src/modules/participants/rules";
import { applyPaymentOutcome, payContribution } from "../src/modules/payments/service";
import { monthNumber, monthStart } from "../src/shared/calendar";
import { fixedClock } from "../src/shared/clock";
import { startTestApi, TODAY } from "./testkit/api";
import { at, month } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { PaymentHistory, paymentSteps } from "./testkit/payment-steps";

/**
 * Whatever order workers pay, settle, fail and refund in, and however time passes between:
 * `paidThrough` is the end of an unbroken run of covered months, the status follows from it, and
 * the dashboard counts what the covered months say.
 */
describe("coverage after any sequence of payments, settlements and refunds", () => {
  it("keeps paidThrough, status and the dashboard equal to the covered months", { timeout: 300_000 }, async () => {
    const api = await startTestApi();
    const admin: Viewer = { kind: "user", role: "ADMIN", subject: "coverage-property", scopes: new Set() };
    let serial = 0;
    const operation = fc.oneof(
      ...paymentSteps([1, 3, 6, 12]),
      fc.record({ kind: fc.constant("advance" as const), months: fc.integer({ min: 1, max: 4 }) }),
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
          for (const op of ops) {
            if (op.kind === "advance") {
              offset += op.months;
              now = new Date(at(offset, 15));
            } else {
              await history.apply(op, ids[op.pick % ids.length] ?? 0, now);
            }
          }

          const current = monthNumber(month(offset));
          const rows = (await api.db.execute(sql`
            select p.id, p.paid_through::text as paid_through,
                   coalesce(array_agg(c.month::text order by c.month) filter (where c.month is not null), '{}') as months
            from participants p left join covered_months c on c.participant_id = p.id
            group by p.id`)) as unknown as { rows: { id: number; paid_through: string | null; months: string[] }[] };
          const expected = { registered: 0, pending: 0, active: 0, grace: 0, inactive: 0 };
          for (const row of rows.rows) {
            const months = row.months.map(monthNumber);
            const last = months.length === 0 ? null : Math.max(...months);
            expect(row.paid_through).toBe(last === null ? null : monthStart(last));
            if (ids.includes(Number(row.id)) && last !== null) {
              // Every month from the current one (or paidThrough, if earlier) to paidThrough is covered.
              for (let m = Math.min(current, last); m <= last; m++) expect(months).toContain(m);
            }
            expected.registered += 1;
            const status = membershipStatus(row.paid_through, now);
            expected[status.toLowerCase() as "pending" | "active" | "grace" | "inactive"] += 1;
            if (status === "ACTIVE" && ids.includes(Number(row.id))) expect(months).toContain(current);
          }
          const dashboard = await coverageDashboard({ db: api.db, viewer: admin }, { asOf: now });
          expect({
            registered: dashboard.registered,
            pending: dashboard.pending,
            active: dashboard.active,
            grace: dashboard.grace,
            inactive: dashboard.inactive,
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
