import type { DocumentNode } from "graphql";
import type { Viewer } from "../modules/access/rules";
import type { CompiledStatement } from "./statement";

/**
 * Compiled statements by (document, operation name, variable shape, kind of viewer), least
 * recently used first out. A repeated operation skips planning and SQL rendering: only its bind
 * values are computed. `null` remembers an operation the planner does not answer.
 */
export class PlanCache {
  private readonly entries = new Map<string, CompiledStatement | null>();
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private documents = 0;

  constructor(private readonly capacity: number) {}

  key(document: DocumentNode, operationName: string | null | undefined, variables: unknown, viewer: Viewer): string {
    let id = this.documentIds.get(document);
    if (id === undefined) {
      this.documents += 1;
      id = this.documents;
      this.documentIds.set(document, id);
    }
    return `${id}|${operationName ?? ""}|${viewerKind(viewer)}|${shapeOf(variables)}`;
  }

  get(key: string): CompiledStatement | null | undefined {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  set(key: string, statement: CompiledStatement | null): void {
    this.entries.delete(key);
    this.entries.set(key, statement);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * What of the viewer shapes a statement's text (masking, per-object checks); the values
 * (subject, region, sponsor) are bind parameters, and the domain predicates' text is checked on
 * every use anyway.
 */
export function viewerKind(viewer: Viewer): string {
  if (viewer.kind !== "user") return "anonymous";
  return [
    viewer.role,
    viewer.regionCode === undefined ? "" : `r${viewer.regionCode.split(".").length}`,
    viewer.sponsorId === undefined ? "" : "s",
    viewer.participantId === undefined ? "" : "p",
    [...viewer.scopes].sort().join(","),
  ].join(":");
}

/**
 * A variable's shape: null-ness, booleans (they steer @skip/@include) and object keys; other
 * values are bind parameters.
 */
export function shapeOf(value: unknown): string {
  if (value === null || value === undefined) return "n";
  if (typeof value === "boolean") return value ? "t" : "f";
  if (Array.isArray(value)) return `[${value.map(shapeOf).join(",")}]`;
  if (typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${key}:${shapeOf((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return typeof value === "number" ? "#" : "s";
}
