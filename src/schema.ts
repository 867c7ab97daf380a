import { lexicographicSortSchema } from "graphql";
import { builder } from "./builder";
import "./shared/scalars";
import "./modules/contributions/graphql";
import "./modules/regions/graphql";
import "./modules/ecosystems/graphql";
import "./modules/sponsors/graphql";
import "./modules/participants/graphql";
import "./modules/payments/graphql";

builder.queryType({});

/** Built once per isolate, when this module is first imported. */
export const schema = lexicographicSortSchema(builder.toSchema());
