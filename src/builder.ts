import SchemaBuilder from "@pothos/core";
import DrizzlePlugin from "@pothos/plugin-drizzle";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ZodPlugin from "@pothos/plugin-zod";
import { getTableConfig } from "drizzle-orm/pg-core";
import { type GraphQLSchema, isObjectType } from "graphql";
import type { Context } from "./context";
import type { Relations } from "./db/relations";
import { relations } from "./db/relations";
import { type CallerAction, may } from "./modules/access/actions";
import { AccessDenied } from "./shared/errors";
import { rowId } from "./shared/ids";
import { say, sayKeyOrText } from "./shared/messages";

export interface SchemaTypes {
  Context: Context;
  DrizzleRelations: Relations;
  AuthScopes: {
    public: boolean;
    authenticated: boolean;
    /** A named action of the permission vocabulary (access/actions.ts), decided about the caller alone. */
    action: CallerAction;
  };
  Scalars: {
    ID: { Input: string; Output: string | number | bigint };
    Rupiah: { Input: bigint; Output: bigint };
    Date: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
    Month: { Input: string; Output: string };
    PaymentChannel: { Input: string; Output: string };
    RegistrationChannel: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}

/** Every node type's ids are positive integers, so anything else names no row. */
function nodeIdCanExist(globalId: { typename: string; id: string }, schema: GraphQLSchema): boolean {
  const type = schema.getType(globalId.typename);
  return isObjectType(type) && type.getInterfaces().some((i) => i.name === "Node") && rowId(globalId.id) !== null;
}

/** plugin-drizzle rejects a node that is not there; for `node`/`nodes` that is an answer, null. */
async function orNullIfMissing<T>(load: Promise<T> | T): Promise<T | null> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof Error && /^Model \w+\(.*\) not found$/.test(error.message)) return null;
    throw error;
  }
}

/** Page sizes of every connection (the read planner pages the same way). */
export const connectionPageSizes = { max: 100, default: 20 } as const;

export const builder = new SchemaBuilder<SchemaTypes>({
  // Relay before scope-auth so scope checks see decoded global IDs.
  plugins: [RelayPlugin, ScopeAuthPlugin, ZodPlugin, DrizzlePlugin],
  defaultFieldNullability: false,
  drizzle: {
    client: (ctx) => ctx.db,
    getTableConfig,
    relations,
    maxConnectionSize: connectionPageSizes.max,
    defaultConnectionSize: connectionPageSizes.default,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodesOnConnection: true,
    // GraphQL cannot declare "one of first or last" on arguments, so the requirement is stated here
    // and enforced before execution (graphql/limits.ts), with BAD_USER_INPUT naming the field.
    firstArgOptions: {
      description: "Page forwards: 0 to 100 items after `after`. Every connection needs `first` or `last`.",
    },
    lastArgOptions: {
      description: "Page backwards: 0 to 100 items before `before`. Every connection needs `first` or `last`.",
    },
    // An id that cannot name a row (`Participant:0`, `Participant:abc`, an unknown type) and a row
    // that does not exist both answer null, before and without a query; never an internal error.
    nodeQueryOptions: {
      resolve: async (_root, args, _ctx, info, resolveNode) =>
        nodeIdCanExist(args.id, info.schema) ? orNullIfMissing(resolveNode(args.id)) : null,
    },
    nodesQueryOptions: {
      resolve: (_root, args, _ctx, info, resolveNodes) => {
        const requested = args.ids;
        // Loaded one id per call (batched by the model loader all the same) so that one missing
        // row answers null in its place instead of failing its neighbours.
        const answers = requested.map((id) => {
          if (!nodeIdCanExist(id, info.schema)) return null;
          args.ids = [id];
          return orNullIfMissing(Promise.resolve(resolveNodes([id])).then((nodes) => nodes[0] ?? null));
        });
        args.ids = requested;
        return Promise.all(answers);
      },
    },
  },
  scopeAuth: {
    // Check an object's type scopes once, when it is resolved, rather than wrapping every field of
    // it: a 100-participant page is ~3,000 fields. An object the caller may not see becomes null
    // with one FORBIDDEN error at the field that returned it.
    runScopesOnType: true,
    authScopes: ({ viewer }) => ({
      public: true,
      authenticated: viewer.kind === "user",
      action: (action) => may(viewer, action),
    }),
    // Anonymous callers are told to authenticate; authenticated ones that they may not.
    unauthorizedError: (_parent, { viewer }, _info, result) =>
      viewer.kind === "user"
        ? new AccessDenied("FORBIDDEN", say("FORBIDDEN.detail", { reason: result.message }))
        : new AccessDenied("UNAUTHENTICATED", say("UNAUTHENTICATED")),
  },
  zod: {
    // Our messages are given as message keys (put into the request's language here); others are zod's own.
    validationError: (error) => error.issues.map((issue) => sayKeyOrText(issue.message)).join("; "),
  },
});
