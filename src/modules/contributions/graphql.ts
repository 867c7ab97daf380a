import { GraphQLError } from "graphql";
import { builder } from "../../builder";
import { plan } from "../../read-plan/field-plan";
import { currentMonth } from "../../shared/calendar";
import { type UserError as UserErrorShape, userError } from "../../shared/errors";
import { ProgramEnum, RiskLevelEnum, SegmentEnum } from "../../shared/program-enums";
import { UserError } from "../../shared/user-error-type";
import { type ContributionPart, type QuoteRequest, quoteContribution } from "./rules";
import type { ContributionLineRow } from "./tables";

export const ContributionLine = builder.objectRef<ContributionLineRow>("ContributionLine").implement({
  description: "One program's share of a contribution.",
  fields: (t) => ({
    // The read planner reads a stored line (payments.lines) as `element.line`: amounts as stored (digits).
    program: t.field({
      type: ProgramEnum,
      resolve: (line) => line.program,
      extensions: plan.expression((element) => [`${element}.line ->> 'program'`]),
    }),
    monthlyAmount: t.field({
      type: "Rupiah",
      resolve: (line) => BigInt(line.monthlyAmount),
      extensions: plan.expression((element) => [`${element}.line ->> 'monthlyAmount'`]),
    }),
    amount: t.field({
      type: "Rupiah",
      resolve: (line) => BigInt(line.amount),
      extensions: plan.expression((element) => [`${element}.line ->> 'amount'`]),
    }),
  }),
});

const ContributionQuoteInput = builder.inputType("ContributionQuoteInput", {
  fields: (t) => ({
    segment: t.field({ type: SegmentEnum, required: true }),
    reportedMonthlyIncome: t.field({ type: "Rupiah", required: true }),
    programs: t.field({ type: [ProgramEnum], required: true }),
    months: t.int({ required: true, description: "1, 3, 6 or 12." }),
    riskLevel: t.field({
      type: RiskLevelEnum,
      description:
        "Needed for PU (or riskGroup), whose JKK rate depends on the job's risk: LOW 0.24%, MEDIUM 0.89%, HIGH 1.74%.",
    }),
    riskGroup: t.int({
      description:
        "PU: the workplace's JKK risk group, 1 to 5 (0.24, 0.54, 0.89, 1.27, 1.74 % of wage; PP 44/2015 annex I).",
    }),
    sponsoredPrograms: t.field({
      type: [ProgramEnum],
      description:
        "The programs a sponsor pays (JKK and JKM, perhaps JHT; among `programs`): `parts` then shows the sponsor's part and the worker's (the rest, e.g. JHT), each paid separately for the same months.",
    }),
  }),
});

type QuoteShape = { lines: ContributionLineRow[]; total: bigint; months: number; parts: ContributionPart[] };

const ContributionPayerEnum = builder.enumType("ContributionPayer", {
  description: "Who pays a part of a contribution.",
  values: {
    SPONSOR: { description: "The sponsor (Sertakan, CSR): JKK and JKM, and JHT if its sponsorship pays it." },
    WORKER: { description: "The worker: whatever the sponsor does not pay, or everything when nobody sponsors them." },
  } as const,
});

const ContributionPartType = builder.objectRef<ContributionPart & { months: number }>("ContributionPart").implement({
  description:
    "One payer's part of a contribution. A month counts as covered (active) once JKK and JKM are paid; each other program is covered on a month only once its part is paid.",
  fields: (t) => ({
    payer: t.field({ type: ContributionPayerEnum, resolve: (part) => part.payer }),
    programs: t.field({ type: [ProgramEnum], resolve: (part) => part.lines.map((line) => line.program) }),
    lines: t.field({ type: [ContributionLine], resolve: (part) => part.lines }),
    total: t.field({ type: "Rupiah", resolve: (part) => part.total }),
    monthlyTotal: t.field({ type: "Rupiah", resolve: (part) => part.total / BigInt(part.months) }),
  }),
});

const ContributionQuote = builder.objectRef<QuoteShape>("ContributionQuote").implement({
  description: "What a contribution costs: per program and in total, for the months asked.",
  fields: (t) => ({
    total: t.field({ type: "Rupiah", resolve: (quote) => quote.total }),
    monthlyTotal: t.field({ type: "Rupiah", resolve: (quote) => quote.total / BigInt(quote.months) }),
    months: t.exposeInt("months"),
    lines: t.field({ type: [ContributionLine], resolve: (quote) => quote.lines }),
    parts: t.field({
      type: [ContributionPartType],
      description:
        "Each payer's part: one WORKER part without `sponsoredPrograms`; with them, the SPONSOR's part and the WORKER's (when the worker joined programs the sponsor does not pay). Parts add up to `total`.",
      resolve: (quote) => quote.parts.map((part) => ({ ...part, months: quote.months })),
    }),
  }),
});

const quoteDescription =
  "What a contribution costs, per program and in total (BPU from Rp16,800 a month), for the months from the current one, each at the rates in force that month (the JP wage cap changes every March). Each program's monthly amount is a percentage of the income rounded half up to whole rupiah (Rp0.5 up); flat amounts are as set. JAKON and PMI are not monthly tariffs (NOT_PRICED_MONTHLY).";

const ContributionQuoteResult = builder
  .objectRef<{ quote: QuoteShape | null; userErrors: UserErrorShape[] }>("ContributionQuoteResult")
  .implement({
    description: "A quote, or why the input cannot be priced: expected failures as data, like every mutation payload.",
    fields: (t) => ({
      quote: t.field({
        type: ContributionQuote,
        nullable: true,
        description: "Null exactly when `userErrors` is not empty.",
        resolve: (result) => result.quote,
      }),
      userErrors: t.field({ type: [UserError], resolve: (result) => result.userErrors }),
    }),
  });

/** The quote for an input, or every problem with it as user errors in the request's language. */
function quoteFor(input: QuoteRequest, now: Date): { quote: QuoteShape | null; userErrors: UserErrorShape[] } {
  const quote = quoteContribution({ ...input, firstMonth: currentMonth(now) });
  if ("problems" in quote) {
    return { quote: null, userErrors: quote.problems.map((p) => userError(p.code, p.message, ["input", p.field])) };
  }
  return { quote: { ...quote, months: input.months }, userErrors: [] };
}

builder.queryFields((t) => ({
  quoteContribution: t.field({
    type: ContributionQuoteResult,
    description: `Public. ${quoteDescription} Input that cannot be priced answers \`userErrors\` (INVALID_MONTHS, PROGRAM_REQUIRED, INCOME_OUT_OF_RANGE, NOT_PRICED_MONTHLY, ...), never a top-level error.`,
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: ContributionQuoteInput, required: true }) },
    resolve: (_root, { input }, ctx) => quoteFor(input, ctx.clock.now()),
  }),
  contributionQuote: t.field({
    type: ContributionQuote,
    description: `Public. ${quoteDescription} Input that cannot be priced is a top-level BAD_USER_INPUT error carrying \`extensions.userErrors\`.`,
    deprecationReason:
      "Use quoteContribution, which answers input that cannot be priced as userErrors (data) instead of a top-level error that nulls the response.",
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: ContributionQuoteInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { quote, userErrors } = quoteFor(input, ctx.clock.now());
      if (!quote) {
        throw new GraphQLError(userErrors.map((e) => e.message).join("; "), {
          extensions: { code: "BAD_USER_INPUT", userErrors },
        });
      }
      return quote;
    },
  }),
}));
