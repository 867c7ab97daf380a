import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Viewer } from "../src/modules/access/rules";
import { graceEpisodes, type SettledMonth } from "../src/modules/dashboard/rules";
import { verifyRollups } from "../src/modules/dashboard/service";
import { recordOutreach } from "../src/modules/outreach/service";
import { monthNumber, monthStart } from "../src/shared/calendar";
import { fixedClock } from "../src/shared/clock";
import { startTestApi } from "./testkit/api";
import { at } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";
import { PaymentHistory, paymentSteps } from "./testkit/payment-steps";

type Counts = {
  entered: number;
  reached: number;
  recovered: number;
  recoveredReached: number;
  lapsed: number;
  wonBack: number;
};

/**
 * Whatever workers pay, settle late, refund, and whoever reaches out when, the retention outcome
 * rollup (kept by triggers) equals both the daily job's recount and a replay of the status rule
 * over each worker's settlements (`graceEpisodes`).
 */
describe("retention outcomes after any sequence of payments, settlements, refunds and outreach", () => {
  it("equal the recount and the status rule's replay", { timeout: 300_000 }, async () => {
    const api = await startTestApi();
    const admin: Viewer = { kind: "user", role: "ADMIN", subject: "outcomes-property", scopes: new Set() };
    const operation = fc.oneof(
      ...paymentSteps([1, 1, 3]),
      fc.record({ kind: fc.constant("outreach" as const), pick: fc.nat() }),
      // Days, not months: payments and contacts land early and late in months, and across their starts.
      fc.record({ kind: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 45 }) }),
    );
    const ctx = (now: Date) => ({ db: api.db, viewer: admin, clock: fixedClock(now.toISOString()), requestId: "o" });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          fc.array(operation, { minLength: 1, maxLength: 18 }),
          async (workers, ops) => {
            // Six months before TODAY's, on the 10th; "advance" steps go on from there (past TODAY too).
            let now = new Date(at(-6, 10));
            const ids: number[] = [];
            for (let i = 0; i < workers; i += 1) {
              ids.push((await givenParticipant(api.db, { programs: ["JKK", "JKM"] })).id);
            }
            const history = new PaymentHistory(api, admin);
            for (const op of ops) {
              const worker = "pick" in op ? (ids[op.pick % ids.length] ?? 0) : 0;
              if (op.kind === "advance") {
                now = new Date(now.getTime() + op.days * 86_400_000);
              } else if (op.kind === "outreach") {
                const recorded = await recordOutreach(ctx(now), {
                  participantId: worker,
                  channel: "CALL",
                  outcome: "REACHED",
                });
                expect(recorded.userErrors).toEqual([]);
              } else {
                await history.apply(op, worker, now);
              }
            }

            // The replay: every worker's settled covered months and contacts, through the status rule.
            const timelines = (await api.db.execute(sql`
              select c.participant_id as id, c.month::text as month, p.settled_at::text as settled_at
              from covered_months c join payments p on p.id = c.payment_id where p.settled_at is not null`)) as unknown as {
              rows: { id: number; month: string; settled_at: string }[];
            };
            const contacts = (await api.db.execute(
              sql`select participant_id as id, recorded_at::text as recorded_at from outreach_contacts`,
            )) as unknown as { rows: { id: number; recorded_at: string }[] };
            const byWorker = new Map<number, { months: SettledMonth[]; contacts: Date[] }>();
            const of = (id: number) => {
              const entry = byWorker.get(Number(id)) ?? { months: [], contacts: [] };
              byWorker.set(Number(id), entry);
              return entry;
            };
            for (const row of timelines.rows) {
              of(row.id).months.push({ month: monthNumber(row.month), settledAt: new Date(row.settled_at) });
            }
            for (const row of contacts.rows) of(row.id).contacts.push(new Date(row.recorded_at));
            const expected = new Map<string, Counts>();
            for (const worker of byWorker.values()) {
              for (const episode of graceEpisodes(worker.months, worker.contacts)) {
                const key = monthStart(episode.month);
                const counts = expected.get(key) ?? {
                  entered: 0,
                  reached: 0,
                  recovered: 0,
                  recoveredReached: 0,
                  lapsed: 0,
                  wonBack: 0,
                };
                const recovered = episode.recoveredAt !== null;
                counts.entered += 1;
                counts.reached += episode.withOutreach ? 1 : 0;
                counts.recovered += recovered ? 1 : 0;
                counts.recoveredReached += recovered && episode.withOutreach ? 1 : 0;
                counts.lapsed += episode.lapsed ? 1 : 0;
                counts.wonBack += episode.wonBack ? 1 : 0;
                expected.set(key, counts);
              }
            }
            const rollup = (await api.db.execute(sql`
              select month::text as month, sum(entered) as entered, sum(entered_with_outreach) as reached,
                     sum(recovered) as recovered, sum(recovered_with_outreach) as "recoveredReached",
                     sum(lapsed) as lapsed, sum(won_back) as "wonBack"
              from retention_outcome_rollups where scope = 'NATIONAL' group by month having sum(entered) <> 0`)) as unknown as {
              rows: ({ month: string } & Counts)[];
            };
            const actual = new Map(
              rollup.rows.map(({ month, ...counts }) => [
                month,
                Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])) as Counts,
              ]),
            );
            expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
            const drift = await verifyRollups(api.db, { repair: false });
            expect(drift.retention_outcome_rollups?.drift).toBe(0);
          },
        ),
        {
          numRuns: 20,
          seed: 20_2026,
          examples: [
            // Pay on the first month's 10th, fall into grace at the next one's start, reached 31 days
            // after paying (on that month's 10th to 13th), pay 5 days later: recovered with outreach.
            [
              1,
              [
                { kind: "pay", pick: 0, months: 1, outcome: "SETTLED" },
                { kind: "advance", days: 31 },
                { kind: "outreach", pick: 0 },
                { kind: "advance", days: 5 },
                { kind: "pay", pick: 0, months: 1, outcome: "SETTLED" },
                { kind: "advance", days: 45 },
                { kind: "advance", days: 45 },
                { kind: "pay", pick: 0, months: 3, outcome: "SETTLED" },
                { kind: "refund", pick: 0 },
              ],
            ],
            // Reached only after paying again: the recovery is not outreach's.
            [
              1,
              [
                { kind: "pay", pick: 0, months: 1, outcome: "SETTLED" },
                { kind: "advance", days: 31 },
                { kind: "pay", pick: 0, months: 1, outcome: "PENDING" },
                { kind: "advance", days: 3 },
                { kind: "settleLater", pick: 0 },
                { kind: "outreach", pick: 0 },
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
