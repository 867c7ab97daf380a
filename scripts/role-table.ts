/**
 * docs/apps.md's table of who may do what, written from the permission vocabulary
 * (src/modules/access/actions.ts): `npm run docs:roles` rewrites it between its markers,
 * `--check` exits 1 when the page differs (scripts/role-table.test.ts runs the check in npm test).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { actionNames, actions, roleCells } from "../src/modules/access/actions";
import { roles } from "../src/modules/access/rules";

export const pagePath = fileURLToPath(new URL("../docs/apps.md", import.meta.url));
const START = "<!-- roles:start: written by npm run docs:roles from src/modules/access/actions.ts -->";
const END = "<!-- roles:end -->";

export function roleTable(): string {
  const header = `| action | what it allows | ${roles.map((role) => `\`${role}\``).join(" | ")} |`;
  const rule = `| --- | --- | ${roles.map(() => "---").join(" | ")} |`;
  const rows = actionNames.map((action) => {
    const cells = roleCells(action);
    return `| \`${action}\` | ${actions[action].does} | ${roles.map((role) => cells[role]).join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n");
}

/** The page with its table rewritten. */
export function withTable(page: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/apps.md has no ${START} … ${END} markers`);
  return `${page.slice(0, start + START.length)}\n${roleTable()}\n${page.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const page = readFileSync(pagePath, "utf8");
  const written = withTable(page);
  if (process.argv.includes("--check")) {
    if (written !== page) {
      console.error(
        "docs/apps.md's table of actions differs from src/modules/access/actions.ts: run npm run docs:roles",
      );
      process.exit(1);
    }
  } else {
    writeFileSync(pagePath, written);
  }
}
