/**
 * The database's functions (rollup and retention triggers, calendar helpers) have one home each:
 * `src/db/functions/<name>.sql`, the current definition. Migrations are how a definition reaches a
 * database; this keeps the two in step.
 *
 *   npm run db:functions            writes a migration (drizzle-kit generate --custom) for every
 *                                   source that differs from what the migrations define now
 *   npm run db:functions -- --check lists sources that differ and functions without a source;
 *                                   exits 1 if any (scripts/db-functions.test.ts runs it in npm test)
 *
 * Migrations already applied stay as they are: a change is a new CREATE OR REPLACE migration.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const functionsFolder = join(root, "src/db/functions");
const migrationsFolder = join(root, "migrations");

/** Every `CREATE [OR REPLACE] FUNCTION` statement in an SQL text, by function name, in order. */
export function functionDefinitions(text: string): { name: string; statement: string }[] {
  const found: { name: string; statement: string }[] = [];
  const start = /CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([a-z_][a-z0-9_]*)\s*\(/gi;
  for (let match = start.exec(text); match; match = start.exec(text)) {
    // The body is dollar-quoted ($$ or $tag$); the statement ends at the first `;` after it closes.
    const open = /\$([a-z_]*)\$/i.exec(text.slice(match.index));
    if (!open) throw new Error(`function ${match[1]}: no dollar-quoted body`);
    const bodyStart = match.index + open.index + open[0].length;
    const bodyEnd = text.indexOf(open[0], bodyStart);
    const end = text.indexOf(";", bodyEnd + open[0].length);
    if (bodyEnd < 0 || end < 0) throw new Error(`function ${match[1]}: unterminated`);
    found.push({ name: (match[1] as string).toLowerCase(), statement: text.slice(match.index, end + 1) });
    start.lastIndex = end + 1;
  }
  return found;
}

/** A definition as a database keeps it: comments and spacing aside, CREATE is CREATE OR REPLACE. */
export function normalised(statement: string): string {
  return statement
    .replace(/--[^\n]*/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^CREATE (?:OR REPLACE )?FUNCTION/i, "CREATE OR REPLACE FUNCTION");
}

/** What the migrations define now: each function's last definition, in migration order, less those dropped since. */
export function definedByMigrations(): Map<string, string> {
  const latest = new Map<string, string>();
  for (const folder of readdirSync(migrationsFolder).sort()) {
    let text: string;
    try {
      text = readFileSync(join(migrationsFolder, folder, "migration.sql"), "utf8");
    } catch {
      continue;
    }
    const changes = [
      ...functionDefinitions(text).map(({ name, statement }) => ({ at: text.indexOf(statement), name, statement })),
      ...[...text.matchAll(/DROP\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?([a-z_][a-z0-9_]*)/gi)].map((drop) => ({
        at: drop.index,
        name: (drop[1] as string).toLowerCase(),
        statement: null,
      })),
    ].sort((a, b) => a.at - b.at);
    for (const { name, statement } of changes) {
      if (statement === null) latest.delete(name);
      else latest.set(name, statement);
    }
  }
  return latest;
}

/** Each source file's definition, by function name. */
export function sources(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of readdirSync(functionsFolder).filter((name) => name.endsWith(".sql"))) {
    const text = readFileSync(join(functionsFolder, file), "utf8");
    const [definition, ...more] = functionDefinitions(text);
    const name = basename(file, ".sql");
    if (!definition || more.length > 0 || definition.name !== name) {
      throw new Error(`${file}: must hold exactly one definition, of the function ${name}`);
    }
    found.set(name, definition.statement);
  }
  return found;
}

/** Sources whose definition the migrations do not have yet, and functions nobody keeps a source of. */
export function drift(): { changed: string[]; withoutSource: string[] } {
  const migrated = definedByMigrations();
  const kept = sources();
  const changed = [...kept].filter(
    ([name, statement]) => normalised(statement) !== normalised(migrated.get(name) ?? ""),
  );
  const withoutSource = [...migrated.keys()].filter((name) => !kept.has(name));
  return { changed: changed.map(([name]) => name).sort(), withoutSource: withoutSource.sort() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { changed, withoutSource } = drift();
  if (process.argv.includes("--check")) {
    for (const name of changed)
      console.error(`src/db/functions/${name}.sql differs from the migrations: run npm run db:functions`);
    for (const name of withoutSource)
      console.error(`${name}: defined by a migration but has no src/db/functions/${name}.sql`);
    process.exit(changed.length + withoutSource.length > 0 ? 1 : 0);
  }
  if (withoutSource.length > 0) throw new Error(`functions without a source: ${withoutSource.join(", ")}`);
  if (changed.length === 0) {
    console.log("Every function's source is what the migrations define: nothing to write.");
    process.exit(0);
  }
  const before = new Set(readdirSync(migrationsFolder));
  execFileSync("npx", ["drizzle-kit", "generate", "--custom", "--name", "functions"], { cwd: root, stdio: "inherit" });
  const [created] = readdirSync(migrationsFolder).filter((name) => !before.has(name));
  if (!created) throw new Error("drizzle-kit wrote no migration folder");
  const kept = sources();
  const body = changed.map((name) => (kept.get(name) as string).trim()).join("\n--> statement-breakpoint\n");
  writeFileSync(
    join(migrationsFolder, created, "migration.sql"),
    `-- Functions changed in src/db/functions (npm run db:functions): ${changed.join(", ")}.\n${body}\n`,
  );
  console.log(`Wrote migrations/${created}/migration.sql for ${changed.join(", ")}.`);
}
