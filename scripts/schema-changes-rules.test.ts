import { readFile } from "node:fs/promises";
import { buildSchema, findBreakingChanges } from "graphql";
import { describe, expect, it } from "vitest";
import { unacknowledgedChanges } from "./schema-changes-rules";

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), "utf8");

describe("breaking schema changes", () => {
  it("are each named in the changelog's Unreleased section", async () => {
    const breaking = findBreakingChanges(
      buildSchema(await read("schema/released.graphql")),
      buildSchema(await read("schema/schema.graphql")),
    );
    expect(unacknowledgedChanges(breaking, await read("schema/CHANGELOG.md")).map((c) => c.description)).toEqual([]);
  });

  it("are reported when the changelog does not name them, or names them only under a released version", () => {
    const before = buildSchema("type Query { worker: Worker! } type Worker { birthDate: String! }");
    const after = buildSchema("type Query { worker: Worker } type Worker { birthDate: String }");
    const breaking = findBreakingChanges(before, after);
    expect(breaking).toHaveLength(2);
    const named = "# x\n\n## Unreleased\n- `Query.worker` and `Worker.birthDate` are nullable\n\n## 1.0.0\n";
    expect(unacknowledgedChanges(breaking, named)).toEqual([]);
    const released = "# x\n\n## Unreleased\n- nothing\n\n## 1.0.0\n- `Query.worker` `Worker.birthDate`\n";
    expect(unacknowledgedChanges(breaking, released)).toHaveLength(2);
  });
});
