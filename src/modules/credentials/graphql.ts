import { builder } from "../../builder";
import { CreateSponsorInput, CreateSponsorPayload } from "../sponsors/graphql";
import { createSponsor } from "../sponsors/service";
import { issueSponsorLogin } from "./api-keys";

// Signing up a sponsor issues its login, so the mutation lives where keys are made: the sponsors
// module stays unaware of credentials (it takes the key-maker as an argument).
builder.mutationFields((t) => ({
  createSponsor: t.field({
    type: CreateSponsorPayload,
    description: "Signs up a sponsor (ADMIN or sponsors:write) and returns its login key once.",
    authScopes: { action: "sponsor:signUp" },
    args: { input: t.arg({ type: CreateSponsorInput, required: true }) },
    resolve: (_root, { input }, ctx) => createSponsor(ctx, input, issueSponsorLogin),
  }),
}));
