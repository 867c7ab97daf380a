import { builder } from "../../builder";
import { type AuthenticatedViewer, roles, scopes } from "./rules";

export const RoleEnum = builder.enumType("Role", { values: roles });

const Viewer = builder.objectRef<AuthenticatedViewer>("Viewer").implement({
  description: "The authenticated caller.",
  fields: (t) => ({
    role: t.field({ type: RoleEnum, resolve: (viewer) => viewer.role }),
    subject: t.string({
      description: "Token subject, or `api-key:<prefix>` for a partner key.",
      resolve: (v) => v.subject,
    }),
    scopes: t.stringList({
      description: `Granted scopes (ADMIN holds all): ${scopes.join(", ")}.`,
      resolve: (viewer) => (viewer.role === "ADMIN" ? [...scopes] : [...viewer.scopes].sort()),
    }),
    regionCode: t.string({ nullable: true, resolve: (viewer) => viewer.regionCode ?? null }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    nullable: true,
    description: "Who is calling; null for anonymous callers.",
    skipTypeScopes: true,
    authScopes: { public: true },
    resolve: (_root, _args, { viewer }) => (viewer.kind === "user" ? viewer : null),
  }),
);
