import { builder } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { ecosystemCodes, ecosystems } from "./tables";

export const EcosystemCodeEnum = builder.enumType("EcosystemCode", { values: ecosystemCodes });

export const EcosystemTarget = builder.drizzleObject("ecosystemTargets", {
  name: "EcosystemTarget",
  fields: (t) => ({
    year: t.exposeInt("year"),
    activeTarget: t.exposeInt("activeTarget", { description: "Participants still paying at year end." }),
  }),
});

export const Ecosystem = builder.drizzleObject("ecosystems", {
  name: "Ecosystem",
  description: "One of the five growth ecosystems: village, market, e-commerce, UMKM and vulnerable workers.",
  // Loaded whole: fields read the row (see Participant for why not `expose`).
  fields: (t) => ({
    code: t.field({ type: EcosystemCodeEnum, resolve: (row) => row.code, extensions: plan.column(ecosystems.code) }),
    name: t.string({ resolve: (row) => row.name, extensions: plan.column(ecosystems.name) }),
    description: t.string({ resolve: (row) => row.description, extensions: plan.column(ecosystems.description) }),
    targets: t.relation("targets", {
      query: { orderBy: { year: "asc" } },
      extensions: plan.executorOnly("a list relation (yearly targets) is not planned"),
    }),
  }),
});

builder.queryFields((t) => ({
  ecosystems: t.drizzleField({
    type: ["ecosystems"],
    description: "Public: the five ecosystems and their targets.",
    skipTypeScopes: true,
    authScopes: { public: true },
    resolve: (query, _root, _args, ctx) => ctx.db.query.ecosystems.findMany(query({ orderBy: { code: "asc" } })),
  }),
  ecosystem: t.drizzleField({
    type: "ecosystems",
    skipTypeScopes: true,
    authScopes: { public: true },
    nullable: true,
    args: { code: t.arg({ type: EcosystemCodeEnum, required: true }) },
    resolve: (query, _root, args, ctx) => ctx.db.query.ecosystems.findFirst(query({ where: { code: args.code } })),
  }),
}));
