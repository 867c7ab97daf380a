import { builder } from "../builder";
import { type UserError as UserErrorShape, userErrorCodes } from "./errors";

export const UserErrorCodeEnum = builder.enumType("UserErrorCode", {
  description: "Why a mutation refused its input: one code per kind of problem, stable for clients to switch on.",
  values: Object.fromEntries(
    Object.entries(userErrorCodes).map(([code, description]) => [code, { description }]),
  ) as Record<keyof typeof userErrorCodes, { description: string }>,
});

export const UserError = builder.objectRef<UserErrorShape>("UserError").implement({
  description: "An expected failure of a mutation: which input field, a stable code, and a message for people.",
  fields: (t) => ({
    field: t.stringList({
      nullable: true,
      description: 'Path to the input field, e.g. ["input", "nik"] or ["input", "participants", "12", "nik"].',
      resolve: (error) => error.field,
    }),
    code: t.field({ type: UserErrorCodeEnum, resolve: (error) => error.code }),
    message: t.string({ resolve: (error) => error.message }),
  }),
});
