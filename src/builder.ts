import SchemaBuilder from "@pothos/core";
import DrizzlePlugin from "@pothos/plugin-drizzle";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ZodPlugin from "@pothos/plugin-zod";
import { getTableConfig } from "drizzle-orm/pg-core";
import { GraphQLError } from "graphql";
import type { Context } from "./context";
import type { Relations } from "./db/relations";
import { relations } from "./db/relations";
import { hasScope, type Role, type Scope } from "./modules/access/rules";

export interface SchemaTypes {
  Context: Context;
  DrizzleRelations: Relations;
  AuthScopes: {
    public: boolean;
    authenticated: boolean;
    role: Role;
    scope: Scope;
  };
  Scalars: {
    ID: { Input: string; Output: string | number | bigint };
    Rupiah: { Input: bigint; Output: bigint };
    Date: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
    Month: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}

export const builder = new SchemaBuilder<SchemaTypes>({
  // Relay before scope-auth so scope checks see decoded global IDs.
  plugins: [RelayPlugin, ScopeAuthPlugin, ZodPlugin, DrizzlePlugin],
  defaultFieldNullability: false,
  drizzle: {
    client: (ctx) => ctx.db,
    getTableConfig,
    relations,
    maxConnectionSize: 100,
    defaultConnectionSize: 20,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodesOnConnection: true,
  },
  scopeAuth: {
    // Check an object's type scopes once, when it is resolved, rather than wrapping every field of
    // it: a 100-participant page is ~3,000 fields. An object the caller may not see becomes null
    // with one FORBIDDEN error at the field that returned it.
    runScopesOnType: true,
    authScopes: ({ viewer }) => ({
      public: true,
      authenticated: viewer.kind === "user",
      role: (role) => viewer.kind === "user" && viewer.role === role,
      scope: (scope) => hasScope(viewer, scope),
    }),
    // Anonymous callers are told to authenticate; authenticated ones that they may not.
    unauthorizedError: (_parent, { viewer }, _info, result) =>
      viewer.kind === "user"
        ? new GraphQLError(`Forbidden: ${result.message}`, { extensions: { code: "FORBIDDEN" } })
        : new GraphQLError("Authentication required", { extensions: { code: "UNAUTHENTICATED" } }),
  },
  zod: {
    validationError: (error) => error.issues.map((issue) => issue.message).join("; "),
  },
});
