import { describe, expect, it } from "vitest";
import { type Action, actionNames, may, roleCells } from "./actions";
import type { Role, Viewer } from "./rules";

type Cell = "yes" | "with scope" | "own" | "no";
const row = (admin: Cell, officer: Cell, sponsor: Cell, partner: Cell, participant: Cell): Record<Role, Cell> => ({
  ADMIN: admin,
  OFFICER: officer,
  SPONSOR: sponsor,
  PARTNER: partner,
  PARTICIPANT: participant,
});

/** Every role against every action, as the product decided it. A new action needs its row here. */
const expected: Record<Action, Record<Role, Cell>> = {
  "participant:register": row("yes", "yes", "no", "with scope", "yes"),
  "participant:update": row("yes", "yes", "no", "with scope", "yes"),
  "participant:lookUpByNik": row("yes", "with scope", "with scope", "with scope", "no"),
  "membership:recordExit": row("yes", "yes", "no", "no", "no"),
  "membership:withdrawDeath": row("yes", "no", "no", "no", "no"),
  "membership:move": row("yes", "yes", "no", "with scope", "no"),
  "membership:readOwnCard": row("no", "no", "no", "no", "own"),
  "identity:recheck": row("yes", "yes", "no", "no", "no"),
  "identity:resolveDuplicate": row("yes", "yes", "no", "no", "no"),
  "payment:pay": row("yes", "yes", "yes", "with scope", "yes"),
  "payment:settle": row("yes", "no", "no", "with scope", "no"),
  "payment:readAll": row("yes", "no", "no", "with scope", "no"),
  "sponsor:signUp": row("yes", "no", "no", "with scope", "no"),
  "sponsor:actFor": row("yes", "no", "own", "with scope", "no"),
  "sponsorship:fund": row("yes", "no", "no", "with scope", "no"),
  "outreach:record": row("yes", "yes", "yes", "with scope", "own"),
  "webhook:manage": row("yes", "no", "own", "own", "no"),
  "coverageTarget:set": row("yes", "no", "no", "no", "no"),
};

describe("the permission vocabulary", () => {
  it.each(actionNames)("decides %s for every role as the product decided", (action) => {
    expect(roleCells(action)).toEqual(expected[action]);
  });

  it("lists every action it decides, and nothing else", () => {
    expect([...actionNames].sort()).toEqual(Object.keys(expected).sort());
  });

  it("allows an anonymous caller nothing", () => {
    for (const action of actionNames) {
      expect(may({ kind: "anonymous" }, action as "payment:pay")).toBe(false);
    }
  });

  it("decides actions about one thing by that thing", () => {
    const sponsor: Viewer = { kind: "user", role: "SPONSOR", subject: "s", scopes: new Set(), sponsorId: 3 };
    expect(may(sponsor, "sponsor:actFor", { sponsorId: 3 })).toBe(true);
    expect(may(sponsor, "sponsor:actFor", { sponsorId: 4 })).toBe(false);
    const registrant: Viewer = {
      kind: "user",
      role: "PARTICIPANT",
      subject: "p",
      scopes: new Set(),
      participantId: 7,
    };
    expect(may(registrant, "outreach:record", { registeredById: 7 })).toBe(true);
    expect(may(registrant, "outreach:record", { registeredById: null })).toBe(false);
  });
});
