import { builder } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { messageKey } from "../../shared/messages";
import { REGION_CODE } from "./codes";
import { regionLevels, regions } from "./tables";

export const RegionLevelEnum = builder.enumType("RegionLevel", { values: regionLevels });

export const Region = builder.drizzleObject("regions", {
  name: "Region",
  description: "An official Indonesian administrative region (Kemendagri code).",
  // Loaded whole: fields read the row (see Participant for why not `expose`).
  fields: (t) => ({
    code: t.string({ resolve: (row) => row.code, extensions: plan.column(regions.code) }),
    name: t.string({ resolve: (row) => row.name, extensions: plan.column(regions.name) }),
    level: t.field({ type: RegionLevelEnum, resolve: (row) => row.level, extensions: plan.column(regions.level) }),
    parent: t.relation("parent", { nullable: true, extensions: plan.relation() }),
  }),
});

const regionCodeArg = {
  regex: [REGION_CODE, { message: messageKey("BAD_USER_INPUT.regionCode") }] as [RegExp, { message: string }],
};

builder.queryFields((t) => ({
  region: t.drizzleField({
    type: "regions",
    nullable: true,
    description: "Null when no region has this code.",
    args: { code: t.arg.string({ required: true, validate: regionCodeArg }) },
    resolve: (query, _root, args, ctx) => ctx.db.query.regions.findFirst(query({ where: { code: args.code } })),
  }),
  regions: t.drizzleField({
    type: ["regions"],
    description: "The regions directly below `parentCode`; the 38 provinces when it is omitted.",
    args: { parentCode: t.arg.string({ validate: regionCodeArg }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.regions.findMany(
        query({
          where: args.parentCode ? { parentCode: args.parentCode } : { parentCode: { isNull: true } },
          orderBy: { code: "asc" },
        }),
      ),
  }),
}));
