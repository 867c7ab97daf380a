import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { monthNumber } from "../../shared/calendar";
import { graceEpisodes, progress, retentionOutcomeFigures, retentionShare, shardsInTurn } from "./rules";

describe("dashboard figures", () => {
  it("measures progress against a target and retention only once the month has come", () => {
    expect(progress(26_950_000, 53_900_000)).toBe(0.5);
    expect(progress(10, null)).toBeNull();
    const cohort = monthNumber("2026-01-01");
    expect(retentionShare(200, 150, cohort, 6, monthNumber("2026-11-01"))).toBe(0.75);
    expect(retentionShare(200, 150, cohort, 12, monthNumber("2026-11-01"))).toBeNull();
  });
});

describe("grace episodes", () => {
  const paid = (month: string, at: string) => ({ month: monthNumber(month), settledAt: new Date(at) });
  const september = monthNumber("2026-09-01");

  it("begin when a month starts unpaid after a paid one, and recover at the payment that makes the worker ACTIVE", () => {
    const episodes = graceEpisodes(
      [paid("2026-08-01", "2026-07-25T03:00:00Z"), paid("2026-09-01", "2026-09-10T03:00:00Z")],
      [new Date("2026-09-05T03:00:00Z"), new Date("2026-09-20T03:00:00Z")],
    );
    expect(episodes[0]).toEqual({
      month: september,
      recoveredAt: new Date("2026-09-10T03:00:00Z"),
      lapsed: false,
      wonBack: false,
      withOutreach: true,
    });
    // Paid for September ahead: October is the next episode, not September.
    expect(graceEpisodes([paid("2026-09-01", "2026-08-31T16:59:59Z")], []).map((e) => e.month)).toEqual([
      september + 1,
    ]);
    // 1 September 00:00 WIB is 31 August 17:00 UTC: a payment at that instant is already late.
    expect(
      graceEpisodes([paid("2026-08-01", "2026-07-25T03:00:00Z"), paid("2026-09-01", "2026-08-31T17:00:00Z")], [])[0],
    ).toMatchObject({ month: september, recoveredAt: new Date("2026-08-31T17:00:00Z") });
  });

  it("lapse when the window closes unpaid, are won back by a later payment, and stay unresolved when paid only partly", () => {
    const lapsed = graceEpisodes(
      [paid("2026-08-01", "2026-07-25T03:00:00Z"), paid("2026-11-01", "2026-11-10T03:00:00Z")],
      [new Date("2026-10-20T03:00:00Z")],
    );
    expect(lapsed[0]).toEqual({ month: september, recoveredAt: null, lapsed: true, wonBack: true, withOutreach: true });
    const partly = graceEpisodes(
      [paid("2026-08-01", "2026-07-25T03:00:00Z"), paid("2026-09-01", "2026-10-10T03:00:00Z")],
      [],
    );
    expect(partly[0]).toMatchObject({ month: september, recoveredAt: null, lapsed: false, wonBack: false });
  });

  it("read as final only once the window has closed", () => {
    const counts = {
      entered: 10,
      enteredWithOutreach: 4,
      recovered: 5,
      recoveredWithOutreach: 3,
      lapsed: 4,
      wonBack: 1,
    };
    const open = retentionOutcomeFigures(counts, september, september + 1);
    expect(open).toMatchObject({ windowClosed: false, lapsed: null, unresolved: 5, wonBack: 0 });
    const closed = retentionOutcomeFigures(counts, september, september + 2);
    expect(closed).toMatchObject({
      windowClosed: true,
      lapsed: 4,
      unresolved: 1,
      wonBack: 1,
      recoveryShare: 0.5,
      recoveryShareWithOutreach: 0.75,
      recoveryShareWithoutOutreach: 2 / 6,
    });
    expect(
      retentionOutcomeFigures({ ...counts, entered: 0, enteredWithOutreach: 0 }, september, september).recoveryShare,
    ).toBeNull();
  });
});

describe("proofs in rotation", () => {
  const day = (start: Date, days: number) => new Date(start.getTime() + days * 86_400_000);

  it("proves every shard exactly once in any run of `days` consecutive WIB days", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2035-12-31T00:00:00Z"), noInvalidDate: true }),
        (shards, days, start) => {
          const proved = Array.from({ length: days }, (_, d) => shardsInTurn(shards, day(start, d), days)).flat();
          expect([...proved].sort()).toEqual([...shards].sort());
        },
      ),
    );
  });

  it("turns at the WIB day's start, not UTC's, and proves everything daily when the rotation is one day", () => {
    const shards = ["11.01", "11.02", "11.03"];
    // 16:59 and 17:00 UTC are the last minute of one WIB day and the first of the next.
    const before = shardsInTurn(shards, new Date("2026-12-03T16:59:00Z"), 3);
    const after = shardsInTurn(shards, new Date("2026-12-03T17:00:00Z"), 3);
    expect(before).toHaveLength(1);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(shardsInTurn(shards, new Date("2026-12-03T17:00:00Z"), 1)).toEqual(shards);
    expect(() => shardsInTurn(shards, new Date(), 0)).toThrow(RangeError);
  });
});
