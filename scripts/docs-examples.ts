/**
 * The examples of README.md and docs/*.md, as `npm run docs:check` runs them: every fenced `sh`
 * block and every `graphql` block is an example (a `json variables` block right after a `graphql`
 * one holds its variables). An example that cannot run on a developer's machine is marked with
 * its reason, in the fence's info string (```sh no-check: needs a Cloudflare account) or in an
 * HTML comment on the line before the next fenced block (<!-- no-check: npm test is CI's own step -->).
 * Other blocks (json, js, http, plain) are samples, not examples.
 */

export type ExampleLanguage = "sh" | "graphql";

export interface Example {
  file: string;
  /** The line of the opening fence (1-based). */
  line: number;
  language: ExampleLanguage;
  code: string;
  /** A graphql example's variables, from the `json variables` block after it. */
  variables?: string;
  /** Why it is not run, when it is marked so. */
  notRunnable?: string;
}

const LANGUAGES: Record<string, ExampleLanguage> = {
  sh: "sh",
  bash: "sh",
  shell: "sh",
  graphql: "graphql",
  gql: "graphql",
};
const NO_CHECK = /^no-check(?::\s*(.*))?$/;
const COMMENT = /^\s*<!--\s*(no-check(?::.*?)?)\s*-->\s*$/;

/** The examples of one markdown file, and what is wrong with its markings. */
export function examplesOf(file: string, markdown: string): { examples: Example[]; problems: string[] } {
  const lines = markdown.split("\n");
  const examples: Example[] = [];
  const problems: string[] = [];
  let pendingMark: { reason: string; line: number } | null = null;
  let previousWasGraphql: Example | null = null;
  for (let index = 0; index < lines.length; index += 1) {
    const text = lines[index] ?? "";
    const comment = text.match(COMMENT);
    if (comment) {
      const reason = (comment[1] ?? "").match(NO_CHECK)?.[1]?.trim() ?? "";
      if (!reason) problems.push(`${file}:${index + 1}: no-check needs a reason (<!-- no-check: why -->)`);
      pendingMark = { reason, line: index + 1 };
      continue;
    }
    const fence = text.match(/^(\s*)(`{3,})(.*)$/);
    if (!fence) continue;
    const [, indent = "", ticks = "```", info = ""] = fence;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end += 1) {
      const candidate = lines[end] ?? "";
      if (candidate.trim() === ticks && candidate.startsWith(indent)) break;
      body.push(candidate.startsWith(indent) ? candidate.slice(indent.length) : candidate.trimStart());
    }
    const [tag = "", ...rest] = info.trim().split(/\s+/);
    const modifiers = rest.join(" ");
    const language = LANGUAGES[tag.toLowerCase()];
    const code = body.join("\n");
    if (tag === "json" && modifiers === "variables") {
      if (previousWasGraphql) previousWasGraphql.variables = code;
      else problems.push(`${file}:${index + 1}: a json variables block must follow a graphql example`);
      previousWasGraphql = null;
    } else if (language) {
      const inline = modifiers.match(NO_CHECK);
      if (modifiers && !inline) problems.push(`${file}:${index + 1}: unknown marking "${modifiers}"`);
      if (inline && !inline[1]?.trim()) problems.push(`${file}:${index + 1}: no-check needs a reason (no-check: why)`);
      const notRunnable = inline ? (inline[1]?.trim() ?? "") : pendingMark?.reason;
      const example: Example = {
        file,
        line: index + 1,
        language,
        code,
        ...(notRunnable !== undefined ? { notRunnable } : {}),
      };
      examples.push(example);
      previousWasGraphql = language === "graphql" ? example : null;
    } else {
      if (pendingMark) problems.push(`${file}:${pendingMark.line}: no-check marks a block that is not an example`);
      previousWasGraphql = null;
    }
    pendingMark = null;
    index = end;
  }
  return { examples, problems };
}

/**
 * The documented ports, and the ports a check runs on instead: examples name the API on 8787, the
 * embedded database on 5433 and a webhook receiver on 8799, and run against a server of the
 * check's own, beside any the developer has running.
 */
export function onPorts(code: string, ports: { api: number; database: number; receiver: number }): string {
  return code
    .replace(/\b8787\b/g, String(ports.api))
    .replace(/\b5433\b/g, String(ports.database))
    .replace(/\b8799\b/g, String(ports.receiver));
}

/** Whether a top-level answer is empty: a list without items, a connection with none, a count of 0. */
function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (value === null || typeof value !== "object") return false;
  const connection = value as { totalCount?: unknown; nodes?: unknown };
  return connection.totalCount === 0 || (Array.isArray(connection.nodes) && connection.nodes.length === 0);
}

/** The JSON answers in an example's output: the whole output, or any line of it, that is one object. */
function answersIn(output: string): Record<string, unknown>[] {
  const candidates = [output, ...output.split("\n")].map((text) => text.trim()).filter((text) => text.startsWith("{"));
  return candidates.flatMap((text) => {
    try {
      const parsed = JSON.parse(text) as unknown;
      return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
        ? [parsed as Record<string, unknown>]
        : [];
    } catch {
      return [];
    }
  });
}

/**
 * What an example's output shows went wrong, or null: a GraphQL error, a refused request (the REST
 * routes' `error`), an internal error, or a query field that answered nothing (each top-level
 * field must have rows; nested lists, and a CSV row's `errors`, may be empty or not).
 */
export function troubleIn(output: string): string | null {
  if (/INTERNAL_SERVER_ERROR/.test(output)) return "an internal error";
  const answers = answersIn(output);
  if (answers.some((answer) => Array.isArray(answer.errors) && answer.errors.length > 0)) return "a GraphQL error";
  if (answers.some((answer) => answer.error !== null && typeof answer.error === "object")) return "a refused request";
  for (const answer of answers) {
    const data =
      answer.data !== null && typeof answer.data === "object" ? (answer.data as Record<string, unknown>) : {};
    const empty = Object.entries(data).find(([, value]) => isEmpty(value));
    if (empty) return `an answer with no rows (${empty[0]})`;
  }
  return null;
}
