import type { ObjectRef } from "@pothos/core";
import { builder } from "../builder";

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

type Counted = { totalCount?: number | (() => number | Promise<number>) };

/**
 * One Relay connection type (`<Node>Connection` with `<Node>Edge`) shared by every field that lists
 * that node, with `totalCount`. Drizzle's root connections hand the count over as a function,
 * related connections as a number; either is answered here.
 */
export function countedConnection<Shape extends object>(name: string, type: ObjectRef<BuilderTypes, Shape>) {
  return builder.connectionObject({
    type,
    name,
    fields: (t) => ({
      totalCount: t.int({
        description: "How many there are across every page (that the caller may see), whatever the page size.",
        // Lets a selection of only `totalCount` skip loading rows.
        extensions: { pothosDrizzleTotalCount: true },
        resolve: (connection) => {
          const count = (connection as Counted).totalCount;
          return typeof count === "function" ? count() : (count ?? 0);
        },
      }),
    }),
  });
}
