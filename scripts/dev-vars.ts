/**
 * `.dev.vars`: a developer's own values for the local Worker, read by wrangler after the ones
 * `npm run dev` writes, so each one it sets wins. `npm run dev` says which of its values a file
 * overrides and what that changes; `npm run token` signs with the file's JWT_SECRET when it has
 * one, so its tokens always match the Worker's secret.
 *
 * KEPESERTAAN_DEV_VARS names another file, or none when empty (`npm run docs:check` runs a
 * development server of its own that a developer's file must not change).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The file `npm run dev` and `npm run token` read, or null when there is none to read. */
export function devVarsFile(environment: Record<string, string | undefined> = process.env): string | null {
  const named = environment.KEPESERTAAN_DEV_VARS;
  if (named === "") return null;
  const file = named ?? `${root}.dev.vars`;
  return existsSync(file) ? file : null;
}

/** The values a `.dev.vars` file sets (dotenv syntax, as wrangler reads it). */
export function readDevVars(file: string | null = devVarsFile()): Record<string, string> {
  if (!file) return {};
  return Object.fromEntries(
    Object.entries(parseEnv(readFileSync(file, "utf8"))).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, value]],
    ),
  );
}

/** A connection string with its password hidden, for a terminal. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}

/** What overriding each value `npm run dev` manages changes, said for the developer. */
const consequences: Record<string, (value: string) => string> = {
  ENVIRONMENT: (value) =>
    value === "production" ? "production settings: no GraphiQL, no introspection, masked errors" : `runs as ${value}`,
  DATABASE_URL: (value) =>
    `the Worker uses ${withoutPassword(value)} (through its HYPERDRIVE binding), not the embedded database`,
  DATABASE_WS_PROXY: (value) =>
    `the Worker reaches PostgreSQL through ${value}, not the proxy npm run dev started (/health answers 503 if nothing listens there)`,
  JWT_SECRET: () => "tokens are checked with this secret; npm run token signs with it too",
  PAYMENT_CHANNEL_SECRETS: () =>
    "channel notifications must be signed with these secrets; the documented webhook examples use npm run dev's and will be refused (401)",
  CARD_SIGNING_KEYS: () =>
    "membership card codes are signed with the first of these keys and checked with all of them; codes signed with npm run dev's key stop checking unless it stays in the list",
  GRAPHIQL_ASSETS_URL: (value) => `GraphiQL's bundle comes from ${value}`,
};

/** Lines that say what a `.dev.vars` changes of `npm run dev`'s values, and what it adds; none when nothing. */
export function overridesReport(managed: Record<string, string>, devVars: Record<string, string>): string[] {
  const overridden = Object.keys(managed).filter((name) => Object.hasOwn(devVars, name));
  const added = Object.keys(devVars).filter((name) => !Object.hasOwn(managed, name));
  const lines: string[] = [];
  if (overridden.length > 0) {
    lines.push(`.dev.vars overrides ${overridden.join(", ")}:`);
    for (const name of overridden) {
      const value = devVars[name] ?? "";
      const said = consequences[name]?.(value) ?? "set by .dev.vars";
      lines.push(`  ${name}: ${value === managed[name] ? "the same value npm run dev sets" : said}`);
    }
  }
  if (added.length > 0) lines.push(`.dev.vars adds ${added.join(", ")}`);
  return lines;
}
