import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cronMatches, cronsOf, scheduledUrl } from "./crons";

describe("the crons npm run dev fires", () => {
  it("are wrangler.toml's: the daily job, its continuation every 10 minutes and the every-minute relay", () => {
    const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
    expect(cronsOf(toml)).toEqual(["5 17 * * *", "*/10 * * * *", "* * * * *"]);
  });

  it("reads only [triggers], ignoring crons commented out or elsewhere", () => {
    expect(
      cronsOf('[vars]\nX = "1"\n# crons = ["0 0 * * *"]\n[triggers]\ncrons = [\n  "*/5 * * * *",\n  "0 1 * * 1"\n]\n'),
    ).toEqual(["*/5 * * * *", "0 1 * * 1"]);
    expect(cronsOf('[vars]\nX = "1"\n')).toEqual([]);
  });

  it.each([
    ["* * * * *", "2026-12-04T23:59:30Z", true],
    ["5 17 * * *", "2026-12-04T17:05:59Z", true],
    ["5 17 * * *", "2026-12-04T17:06:00Z", false],
    ["5 17 * * *", "2026-12-05T00:05:00+07:00", true],
    ["*/15 * * * *", "2026-12-04T10:45:00Z", true],
    ["*/15 * * * *", "2026-12-04T10:46:00Z", false],
    ["0 0 1 * *", "2027-01-01T00:00:00Z", true],
    ["0 0 * * 0", "2026-12-06T00:00:00Z", true],
    ["0 0 * * 7", "2026-12-06T00:00:00Z", true],
    ["0 0 * * 1-5", "2026-12-06T00:00:00Z", false],
    ["0 9-17/4 * * *", "2026-12-04T13:00:00Z", true],
  ] as const)("%s fires at %s: %s (UTC)", (cron, at, fires) => {
    expect(cronMatches(cron, new Date(at))).toBe(fires);
  });

  it("refuses what it cannot evaluate instead of never firing", () => {
    expect(() => cronMatches("0 0 * * MON", new Date())).toThrow(/MON/);
    expect(() => cronMatches("* * * *", new Date())).toThrow(/five fields/);
    expect(() => cronMatches("60 * * * *", new Date())).toThrow(/out of range/);
  });

  it("fires through Miniflare's scheduled trigger, at the start of the minute", () => {
    expect(scheduledUrl("http://localhost:8787", "* * * * *", new Date("2026-12-04T23:59:30.500Z"))).toBe(
      `http://localhost:8787/cdn-cgi/local/scheduled?cron=*+*+*+*+*&time=${Date.parse("2026-12-04T23:59:00Z")}`,
    );
  });
});
