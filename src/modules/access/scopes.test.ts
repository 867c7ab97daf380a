import { describe, expect, it } from "vitest";
import { roles, scopes, scopesForRole } from "./rules";

describe("scopes a role may hold (issue 29, finding 7)", () => {
  it("keeps every known scope for ADMIN and PARTNER, pii:read only for OFFICER and SPONSOR, none for PARTICIPANT", () => {
    expect([...scopesForRole("ADMIN", scopes)]).toEqual([...scopes]);
    expect([...scopesForRole("PARTNER", scopes)]).toEqual([...scopes]);
    expect([...scopesForRole("OFFICER", scopes)]).toEqual(["pii:read"]);
    expect([...scopesForRole("SPONSOR", scopes)]).toEqual(["pii:read"]);
    expect([...scopesForRole("PARTICIPANT", scopes)]).toEqual([]);
  });

  it("drops unknown scopes and copes with none", () => {
    for (const role of roles) {
      expect([...scopesForRole(role, ["admin:all", "payments:settle ", "PII:READ"])], role).toEqual([]);
      expect(scopesForRole(role, undefined).size, role).toBe(0);
      expect(scopesForRole(role, null).size, role).toBe(0);
    }
  });
});
