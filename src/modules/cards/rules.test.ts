import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ContributionLineRow } from "../contributions/tables";
import { CARD_VERIFICATION_LIMIT, type CoveredMonthOfPayment, cardValidUntil, initialsOf, jhtSavings } from "./rules";

const lines = (jht: { monthly: number; amount: number } | null, months: number): ContributionLineRow[] => [
  { program: "JKK", monthlyAmount: "10000", amount: String(10_000 * months) },
  { program: "JKM", monthlyAmount: "6800", amount: String(6_800 * months) },
  ...(jht ? [{ program: "JHT" as const, monthlyAmount: String(jht.monthly), amount: String(jht.amount) }] : []),
];

const covered = (paymentId: number, paymentMonths: number, payLines: ContributionLineRow[], months: string[]) =>
  months.map((month): CoveredMonthOfPayment => ({ month, paymentId, paymentMonths, lines: payLines }));

describe("initials a verifier sees", () => {
  it.each([
    ["Siti Rahayu", "S. R."],
    ["  wulan   sari ", "W. S."],
    ["Muhammad", "M."],
    ["I Gusti Ngurah 'Agung'", "I. G. N. A."],
    ["", ""],
  ])("%j → %j", (name, initials) => {
    expect(initialsOf(name)).toBe(initials);
  });
});

describe("until when a card protects", () => {
  it("is the end of the last grace month after the paid-through month", () => {
    expect(cardValidUntil("2026-01-01")).toBe("2026-03-31");
    expect(cardValidUntil("2026-11-01")).toBe("2027-01-31");
    expect(cardValidUntil("2027-12-01")).toBe("2028-02-29");
  });

  it("follows the status policy and is null before the first payment", () => {
    expect(cardValidUntil("2026-01-01", { inactiveAfterUnpaidMonths: 1 })).toBe("2026-01-31");
    expect(cardValidUntil(null)).toBeNull();
  });
});

describe("JHT savings", () => {
  it("counts each covered month of a settled payment at the JHT line's monthly amount", () => {
    const savings = jhtSavings(
      covered(1, 3, lines({ monthly: 20_000, amount: 60_000 }, 3), ["2026-01-01", "2026-02-01", "2026-03-01"]),
    );
    expect(savings.total).toBe(60_000n);
    expect(savings.months.map((m) => [m.month, m.amount])).toEqual([
      ["2026-01-01", 20_000n],
      ["2026-02-01", 20_000n],
      ["2026-03-01", 20_000n],
    ]);
  });

  it("keeps a refunded payment's used months only: settled less refunded", () => {
    // Paid 6 months (Rp120,000 JHT), refunded 4 unused: Rp40,000 stays.
    const savings = jhtSavings(
      covered(7, 6, lines({ monthly: 20_000, amount: 120_000 }, 6), ["2026-04-01", "2026-05-01"]),
    );
    expect(savings.total).toBe(120_000n - 4n * 20_000n);
    expect(savings.months).toHaveLength(2);
  });

  it("adds nothing for a payment without JHT", () => {
    const savings = jhtSavings([
      ...covered(1, 1, lines(null, 1), ["2026-01-01"]),
      ...covered(2, 1, lines({ monthly: 20_000, amount: 20_000 }, 1), ["2026-02-01"]),
    ]);
    expect(savings.months.map((m) => m.month)).toEqual(["2026-02-01"]);
    expect(savings.total).toBe(20_000n);
  });

  it("adds up to the line when the rate changed inside a prepaid period (the last month takes the rest)", () => {
    const savings = jhtSavings(
      covered(3, 3, lines({ monthly: 20_000, amount: 62_000 }, 3), ["2026-03-01", "2026-01-01", "2026-02-01"]),
    );
    expect(savings.months.map((m) => m.amount)).toEqual([20_000n, 20_000n, 22_000n]);
    expect(savings.total).toBe(62_000n);
  });

  it("orders months across payments, oldest first, and is empty without payments", () => {
    const jht = lines({ monthly: 20_000, amount: 20_000 }, 1);
    const savings = jhtSavings([...covered(9, 1, jht, ["2026-05-01"]), ...covered(4, 1, jht, ["2026-02-01"])]);
    expect(savings.months.map((m) => m.month)).toEqual(["2026-02-01", "2026-05-01"]);
    expect(jhtSavings([])).toEqual({ months: [], total: 0n });
  });
});

describe("the verification limit", () => {
  it("is what wrangler.toml's CARD_VERIFY_LIMITER binding enforces", () => {
    const toml = readFileSync(new URL("../../../wrangler.toml", import.meta.url), "utf8");
    const binding =
      /name = "CARD_VERIFY_LIMITER"\nnamespace_id = "\d+"\nsimple = \{ limit = (\d+), period = (\d+) \}/.exec(toml);
    expect(binding?.slice(1).map(Number)).toEqual([
      CARD_VERIFICATION_LIMIT.requests,
      CARD_VERIFICATION_LIMIT.periodSeconds,
    ]);
  });
});
