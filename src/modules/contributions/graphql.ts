import { GraphQLError } from "graphql";
import { builder } from "../../builder";
import { RiskLevelEnum, SegmentEnum } from "../participants/graphql";
import { quoteContribution } from "./rules";
import { type ContributionLineRow, programs } from "./tables";

export const ProgramEnum = builder.enumType("Program", {
  description: "JKK work accident, JKM death, JHT old age savings, JP pension, JKP job loss.",
  values: programs,
});

export const ContributionLine = builder.objectRef<ContributionLineRow>("ContributionLine").implement({
  description: "One program's share of a contribution.",
  fields: (t) => ({
    program: t.field({ type: ProgramEnum, resolve: (line) => line.program }),
    monthlyAmount: t.field({ type: "Rupiah", resolve: (line) => BigInt(line.monthlyAmount) }),
    amount: t.field({ type: "Rupiah", resolve: (line) => BigInt(line.amount) }),
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
      description: "Needed for PU, whose JKK rate depends on the job's risk.",
    }),
  }),
});

const ContributionQuote = builder
  .objectRef<{ lines: ContributionLineRow[]; total: bigint; months: number }>("ContributionQuote")
  .implement({
    description: "What a contribution costs: per program and in total, for the months asked.",
    fields: (t) => ({
      total: t.field({ type: "Rupiah", resolve: (quote) => quote.total }),
      monthlyTotal: t.field({ type: "Rupiah", resolve: (quote) => quote.total / BigInt(quote.months) }),
      months: t.exposeInt("months"),
      lines: t.field({ type: [ContributionLine], resolve: (quote) => quote.lines }),
    }),
  });

builder.queryField("contributionQuote", (t) =>
  t.field({
    type: ContributionQuote,
    description: "Public: what a contribution costs, per program and in total (BPU from Rp16,800 a month).",
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: ContributionQuoteInput, required: true }) },
    resolve: (_root, { input }) => {
      const quote = quoteContribution(input);
      if ("problems" in quote) {
        throw new GraphQLError(quote.problems.map((p) => p.message).join("; "), {
          extensions: {
            code: "BAD_USER_INPUT",
            userErrors: quote.problems.map((p) => ({ field: ["input", p.field], code: p.code, message: p.message })),
          },
        });
      }
      return { ...quote, months: input.months };
    },
  }),
);
