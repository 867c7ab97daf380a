import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Viewer } from "../modules/access/rules";

/** What one request brings to a plan: its coerced variables, its caller, "today". */
export interface PlanInput {
  variables: Record<string, unknown>;
  viewer: Viewer;
  now: Date;
}

/**
 * A request whose values fall outside what the plan answers the same way the executor would (an
 * invalid cursor, an argument the field's validation refuses): the executor answers it instead.
 */
export class NotPlannable extends Error {}

/** A bind parameter whose value each request computes. */
export interface ValueSlot {
  value: (input: PlanInput) => unknown;
}

/**
 * SQL a domain module writes (visibility, filters, masking): rendered per request for its bind
 * values, and its text checked against the cached statement's, so a cached statement can never
 * run with a predicate of another shape.
 */
export interface PredicateSlot {
  predicate: (input: PlanInput) => SQL;
}

/**
 * A value the statement's text was built for (an ordering chosen by an argument): a request with
 * another value needs another statement.
 */
export interface GuardSlot {
  guard: (input: PlanInput) => string;
}

export type Slot = ValueSlot | PredicateSlot | GuardSlot;
export type Piece = string | Slot;
/** A statement under construction: text and slots in order. */
export type Fragment = readonly Piece[];

/** Builds a fragment: literal text, with fragments and slots interpolated. */
export function q(strings: TemplateStringsArray, ...parts: (Fragment | Slot)[]): Piece[] {
  const pieces: Piece[] = [];
  strings.forEach((text, i) => {
    if (text) pieces.push(text);
    const part = parts[i];
    if (part === undefined) return;
    if (Array.isArray(part)) pieces.push(...(part as Fragment));
    else pieces.push(part as Slot);
  });
  return pieces;
}

export function join(fragments: readonly Fragment[], separator: string): Piece[] {
  const pieces: Piece[] = [];
  fragments.forEach((fragment, i) => {
    if (i > 0) pieces.push(separator);
    pieces.push(...fragment);
  });
  return pieces;
}

export const value = (compute: (input: PlanInput) => unknown): ValueSlot => ({ value: compute });
export const predicate = (build: (input: PlanInput) => SQL): PredicateSlot => ({ predicate: build });
export const guard = (compute: (input: PlanInput) => string): GuardSlot => ({ guard: compute });

type Binder =
  | { kind: "value"; value: (input: PlanInput) => unknown }
  | { kind: "predicate"; predicate: (input: PlanInput) => SQL; text: string }
  | { kind: "guard"; guard: (input: PlanInput) => string; expected: string };

/** A statement's text, fixed, with its bind parameters numbered; and how a request fills them. */
export interface CompiledStatement {
  text: string;
  /** Unique per compiled statement in this process: its name where a connection keeps it prepared. */
  name: string;
  binders: Binder[];
}

/** A statement ready to send (Drizzle's `Query`), with the name it may be prepared under. */
export interface BoundStatement {
  sql: string;
  params: unknown[];
  name: string;
}

let compiledCount = 0;

const dialect = new PgDialect();
const PLACEHOLDER = /\$\d+/g;

function render(build: SQL): { text: string; params: unknown[] } {
  const query = dialect.sqlToQuery(build);
  return { text: query.sql, params: query.params };
}

/** Renders a fragment once: the text with the predicates as they render for this request. */
export function compileStatement(fragment: Fragment, input: PlanInput): CompiledStatement {
  const texts: string[] = [""];
  const binders: Binder[] = [];
  const append = (text: string) => {
    texts[texts.length - 1] += text;
  };
  for (const piece of fragment) {
    if (typeof piece === "string") append(piece);
    else if ("guard" in piece) binders.push({ kind: "guard", guard: piece.guard, expected: piece.guard(input) });
    else if ("value" in piece) {
      binders.push({ kind: "value", value: piece.value });
      texts.push("");
    } else {
      const { text } = render(piece.predicate(input));
      binders.push({ kind: "predicate", predicate: piece.predicate, text });
      // Parenthesised: a predicate is one operand wherever the statement puts it.
      const parts = text.split(PLACEHOLDER);
      append(`(${parts[0]}`);
      for (const part of parts.slice(1)) texts.push(part);
      append(")");
    }
  }
  // Numbered once here; a request only computes its values (no SQL object built and rendered again).
  const text = texts.reduce((whole, part, i) => (i === 0 ? part : `${whole}$${i}${part}`), "");
  compiledCount += 1;
  return { text, name: `read_plan_${compiledCount}`, binders };
}

/**
 * The statement for one request, or null when a predicate renders to other text than the cached
 * statement holds (the caller then compiles afresh). Throws NotPlannable from a value slot.
 */
export function bindStatement(statement: CompiledStatement, input: PlanInput): BoundStatement | null {
  const values: unknown[] = [];
  for (const binder of statement.binders) {
    if (binder.kind === "value") values.push(binder.value(input));
    else if (binder.kind === "guard") {
      if (binder.guard(input) !== binder.expected) return null;
    } else {
      const { text, params } = render(binder.predicate(input));
      if (text !== binder.text) return null;
      values.push(...params);
    }
  }
  return { sql: statement.text, params: values, name: statement.name };
}
