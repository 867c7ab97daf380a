import { lexicographicSortSchema } from "graphql";
import { builder } from "./builder";
import "./shared/scalars";
import "./modules/contributions/graphql";
import "./modules/regions/graphql";
import "./modules/ecosystems/graphql";
import "./modules/sponsors/graphql";
import "./modules/participants/graphql";
import "./modules/payments/graphql";
import "./modules/enrollments/graphql";
import "./modules/dashboard/graphql";
import "./modules/outreach/graphql";
import "./modules/membership-changes/graphql";
import "./modules/cards/graphql";
import "./modules/identity/graphql";
import "./modules/access/graphql";
import "./modules/credentials/graphql";
import "./modules/events/graphql";

// Closed by default: every query field needs an authenticated caller unless it says otherwise.
builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });

/** Built once per isolate, when this module is first imported. */
export const schema = lexicographicSortSchema(builder.toSchema());
