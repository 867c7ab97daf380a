import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyRollups } from "../src/modules/dashboard/service";
import { startTestApi, type TestApi } from "./testkit/api";
import { at, month } from "./testkit/dates";
import { givenCoverage, givenParticipant } from "./testkit/fixtures";
import { newKey, notify, pay } from "./testkit/payments";

/** Races need real PostgreSQL (PGlite runs one statement at a time): this file runs in the postgres project. */
describe.runIf(process.env.TEST_DATABASE === "postgres")(
  "rollups under concurrent settlements (real PostgreSQL only: npm run test:deep)",
  () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi(); // today: TODAY
    });
    afterAll(async () => api?.close());

    it("settle and refund many participants of one province at once without a deadlock, and stay exact", {
      timeout: 120_000,
    }, async () => {
      const villages = ["31.71.01.1001", "31.71.02.1001", "31.71.03.1001", "31.74.01.1001", "31.74.02.1001"];
      const ecosystems = ["VILLAGE", "MARKET", "UMKM", "ECOMMERCE", "VULNERABLE_WORKERS"] as const;
      // Never paid; paid through last month (grace); through this month; through three months ago (inactive).
      const histories = [[], [month(-1)], [month(-1), month(0)], [month(-3)]];
      const toSettle: { id: string; amount: string }[] = [];
      const toRefund: { id: string; amount: string }[] = [];
      for (let i = 0; i < 80; i++) {
        const history = histories[i % histories.length] ?? [];
        const worker = await givenParticipant(api.db, {
          programs: ["JKK", "JKM"],
          paidThrough: history.at(-1) ?? null,
          villageCode: villages[i % villages.length],
          ecosystemCode: ecosystems[(i * 7) % ecosystems.length],
          registeredAt: at(-10 + (i % 6), 10), // ten to five months ago
        });
        await givenCoverage(api.db, worker.id, history);
        const months = [1, 3, 6, 12][i % 4] ?? 1;
        const payment = await pay(api, worker.id, months);
        if (i % 5 === 0) {
          // Settled now, refunded in the race below.
          const settled = await notify(api, {
            reference: `PRE-${newKey()}`,
            paymentId: payment.id,
            status: "SETTLED",
            amount: payment.amount,
          });
          expect(settled.status).toBe(200);
          // Months after this one are unused; this month itself is used unless the history paid it.
          const unused = history.at(-1) === month(0) ? months : months - 1;
          toRefund.push({ id: payment.id, amount: String((BigInt(payment.amount) / BigInt(months)) * BigInt(unused)) });
        } else toSettle.push({ id: payment.id, amount: payment.amount });
      }
      const results = await Promise.all([
        ...toSettle.map((p) =>
          notify(api, { reference: `RACE-${newKey()}`, paymentId: p.id, status: "SETTLED", amount: p.amount }),
        ),
        ...toRefund.map((p) =>
          notify(api, { reference: `RACE-R-${newKey()}`, paymentId: p.id, status: "REFUNDED", amount: p.amount }),
        ),
      ]);
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      expect(await verifyRollups(api.db, { repair: false })).toEqual({
        coverage_rollups: { drift: 0, repaired: false },
        monthly_active_rollups: { drift: 0, repaired: false },
        retention_rollups: { drift: 0, repaired: false },
        regional_retention_rollups: { drift: 0, repaired: false },
        retention_outcome_rollups: { drift: 0, repaired: false },
      });
    });
  },
);
