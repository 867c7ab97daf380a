import { readFileSync } from "node:fs";
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../schema";
import { executorOnlyMarkdown, planCoverage } from "./coverage";
import { type ConnectionPlan, plan, planOf } from "./field-plan";

const coverage = planCoverage(schema);

describe("the read planner's coverage", () => {
  it("declares every field the planned roots reach: planned, or executor-only with a reason", () => {
    expect(coverage.roots.length).toBeGreaterThan(0);
    expect(coverage.undeclared, "declare `extensions: plan.…` or `plan.executorOnly(reason)` on these").toEqual([]);
    for (const { field, reason } of coverage.executorOnly) expect(reason.trim(), field).not.toBe("");
  });

  it("plans occupationCode and every Participant column", () => {
    expect(coverage.planned).toContain("Participant.occupationCode");
    expect(coverage.planned).toContain("Participant.id");
  });

  it("finds a field added without a declaration", () => {
    const declared = new GraphQLObjectType({
      name: "Row",
      extensions: {},
      fields: {
        name: { type: GraphQLString, extensions: plan.expression((row) => [`${row}.name`]) },
        added: { type: GraphQLString },
      },
    });
    const root = new GraphQLObjectType({
      name: "Query",
      fields: { row: { type: declared, extensions: plan.lookup() } },
    });
    expect(planCoverage(new GraphQLSchema({ query: root })).undeclared).toEqual(["Row.added"]);
  });

  it("sorts every ParticipantOrder value by its own ordering, as the resolver does", () => {
    const field = schema.getQueryType()?.getFields().participants;
    const declared = field ? planOf(field) : undefined;
    expect(declared?.kind).toBe("connection");
    const orderBy = field?.args.find((arg) => arg.name === "orderBy");
    const values = (orderBy?.type.toString().replace("!", "") ?? "") as string;
    const enumType = schema.getType(values);
    const names = enumType && "getValues" in enumType ? enumType.getValues().map((value) => value.name) : [];
    expect(names.length).toBeGreaterThan(1);
    const firstColumns = names.map((name) => {
      const [first] = (declared as ConnectionPlan).ordering({ orderBy: name });
      return `${first?.column.name} ${first?.direction}`;
    });
    // Each value orders differently: none falls back to another's ordering.
    expect(new Set(firstColumns).size).toBe(names.length);
  });

  it("lists the executor-only fields in docs/contributors.md exactly as the code declares them", () => {
    const docs = readFileSync("docs/contributors.md", "utf8");
    const block = /<!-- executor-only:start -->\n([\s\S]*?)\n?<!-- executor-only:end -->/.exec(docs)?.[1] ?? "";
    expect(block.trim(), "regenerate the list from planCoverage(schema)").toBe(executorOnlyMarkdown(coverage));
  });
});
