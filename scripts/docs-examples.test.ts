import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { examplesOf, onPorts, troubleIn } from "./docs-examples";

const fence = "```";

describe("the documentation's examples", () => {
  it("are the sh and graphql blocks, with their markings and a graphql block's variables", () => {
    const markdown = [
      "# Page",
      `${fence}sh`,
      "curl -s http://localhost:8787/health",
      fence,
      `${fence}sh no-check: needs a Cloudflare account`,
      "npx wrangler deploy",
      fence,
      "<!-- no-check: npm test is CI's own step -->",
      `${fence}sh`,
      "npm test",
      fence,
      "1. A step",
      `   ${fence}graphql`,
      "   mutation ($i: X!) { x(input: $i) { id } }",
      `   ${fence}`,
      `   ${fence}json variables`,
      '   { "i": { "a": 1 } }',
      `   ${fence}`,
      `${fence}json`,
      '{ "sample": true }',
      fence,
      `${fence}js`,
      "console.log(1)",
      fence,
    ].join("\n");
    const { examples, problems } = examplesOf("page.md", markdown);
    expect(problems).toEqual([]);
    expect(examples).toEqual([
      { file: "page.md", line: 2, language: "sh", code: "curl -s http://localhost:8787/health" },
      {
        file: "page.md",
        line: 5,
        language: "sh",
        code: "npx wrangler deploy",
        notRunnable: "needs a Cloudflare account",
      },
      { file: "page.md", line: 9, language: "sh", code: "npm test", notRunnable: "npm test is CI's own step" },
      {
        file: "page.md",
        line: 13,
        language: "graphql",
        code: "mutation ($i: X!) { x(input: $i) { id } }",
        variables: '{ "i": { "a": 1 } }',
      },
    ]);
  });

  it("refuses a marking without a reason, or on a block that is not an example", () => {
    const markdown = [
      `${fence}sh no-check`,
      "x",
      fence,
      "<!-- no-check: a sample -->",
      `${fence}json`,
      "{}",
      fence,
      `${fence}sh quickly`,
      "y",
      fence,
    ].join("\n");
    expect(examplesOf("p.md", markdown).problems).toEqual([
      "p.md:1: no-check needs a reason (no-check: why)",
      "p.md:4: no-check marks a block that is not an example",
      'p.md:8: unknown marking "quickly"',
    ]);
  });

  it("in this repository are all marked correctly", () => {
    const files = ["README.md", ...readdirSync("docs").map((name) => `docs/${name}`)].filter((f) => f.endsWith(".md"));
    for (const file of files) expect(examplesOf(file, readFileSync(file, "utf8")).problems, file).toEqual([]);
  });

  it("run on the check's own ports", () => {
    const code =
      "curl http://localhost:8787/graphql; DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres; node r.mjs 8799";
    expect(onPorts(code, { api: 40001, database: 40002, receiver: 40003 })).toBe(
      "curl http://localhost:40001/graphql; DATABASE_URL=postgres://postgres@127.0.0.1:40002/postgres; node r.mjs 40003",
    );
  });

  it.each([
    ['{"data":{"participants":{"totalCount":12}}}', null],
    ['{"data":{"quoteContribution":{"quote":null,"userErrors":[{"code":"INVALID_MONTHS"}]}}}', null],
    ['{"errors":[{"message":"x"}],"data":null}', "a GraphQL error"],
    ['{"created":1,"rejected":1,"rows":[{"line":3,"status":"REJECTED","errors":[{"code":"INVALID_INPUT"}]}]}', null],
    ['{"data":null,"errors":[{"extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}', "an internal error"],
    ['{"error":{"code":"UNAUTHENTICATED","message":"x"}}', "a refused request"],
    ['{"data":{"outreachList":{"totalCount":0,"nodes":[]}}}', "an answer with no rows (outreachList)"],
    ['{"data":{"participants":{"nodes":[]}}}', "an answer with no rows (participants)"],
    ['{"data":{"regions":[]}}', "an answer with no rows (regions)"],
    ['{"data":{"winBack":{"totalCount":3,"nodes":[{"outreach":{"nodes":[]}}]}}}', null],
    ['created\n{"data":{"a":{"totalCount":1}}}\n{"data":{"b":{"totalCount":0}}}', "an answer with no rows (b)"],
  ])("%s shows %s", (output, trouble) => {
    expect(troubleIn(output)).toBe(trouble);
  });
});
