import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pagePath, withTable } from "./role-table";

describe("docs/apps.md's table of actions", () => {
  it("is the one the permission vocabulary writes (npm run docs:roles)", () => {
    const page = readFileSync(pagePath, "utf8");
    expect(withTable(page)).toBe(page);
  });
});
