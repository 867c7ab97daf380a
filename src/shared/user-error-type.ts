import { builder } from "../builder";
import type { UserError as UserErrorShape } from "./errors";

export const UserError = builder.objectRef<UserErrorShape>("UserError").implement({
  description: "An expected failure of a mutation: which input field, a stable code, and a message for people.",
  fields: (t) => ({
    field: t.stringList({
      nullable: true,
      description: 'Path to the input field, e.g. ["input", "nik"] or ["input", "participants", "12", "nik"].',
      resolve: (error) => error.field,
    }),
    code: t.string({ resolve: (error) => error.code }),
    message: t.string({ resolve: (error) => error.message }),
  }),
});
