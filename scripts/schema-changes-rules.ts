import type { BreakingChange } from "graphql";

/** The text of the CHANGELOG's "## Unreleased" section (up to the next "## "). */
export function unreleasedSection(changelog: string): string {
  const start = changelog.search(/^## Unreleased\b/m);
  if (start < 0) return "";
  const rest = changelog.slice(start + 1);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The schema coordinate a change is about (`Participant.birthDate`), from graphql-js' description. */
export function coordinateOf(change: BreakingChange): string {
  return /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)/.exec(change.description)?.[1] ?? change.description;
}

/** Breaking changes whose coordinate the Unreleased section does not name (in backticks). */
export function unacknowledgedChanges(changes: readonly BreakingChange[], changelog: string): BreakingChange[] {
  const section = unreleasedSection(changelog);
  return changes.filter((change) => !section.includes(`\`${coordinateOf(change)}\``));
}
