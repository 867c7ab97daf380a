import SchemaBuilder from "@pothos/core";
import DrizzlePlugin from "@pothos/plugin-drizzle";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ZodPlugin from "@pothos/plugin-zod";
import { getTableConfig } from "drizzle-orm/pg-core";
import type { Context } from "./context";
import type { Relations } from "./db/relations";
import { relations } from "./db/relations";

export interface SchemaTypes {
  Context: Context;
  DrizzleRelations: Relations;
  AuthScopes: {
    public: boolean;
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
  plugins: [RelayPlugin, ScopeAuthPlugin, ErrorsPlugin, ZodPlugin, DrizzlePlugin],
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
    authScopes: () => ({ public: true }),
  },
  errors: {
    defaultTypes: [],
  },
  zod: {
    validationError: (error) => error.issues.map((issue) => issue.message).join("; "),
  },
});
