import { GraphQLError } from "graphql";
import { builder } from "../../builder";
import { currentMonth } from "../../shared/calendar";
import { userError } from "../../shared/errors";
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
      description:
        "Needed for PU (or riskGroup), whose JKK rate depends on the job's risk: LOW 0.24%, MEDIUM 0.89%, HIGH 1.74%.",
    }),
    riskGroup: t.int({
      description:
        "PU: the workplace's JKK risk group, 1 to 5 (0.24, 0.54, 0.89, 1.27, 1.74 % of wage; PP 44/2015 annex I).",
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
    description:
      "Public: what a contribution costs, per program and in total (BPU from Rp16,800 a month), for the months from the current one, each at the rates in force that month (the JP wage cap changes every March). Each program's monthly amount is a percentage of the income rounded half up to whole rupiah (Rp0.5 up); flat amounts are as set. JAKON and PMI are not monthly tariffs (NOT_PRICED_MONTHLY).",
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { input: t.arg({ type: ContributionQuoteInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const quote = quoteContribution({ ...input, firstMonth: currentMonth(ctx.clock.now()) });
      if ("problems" in quote) {
        const userErrors = quote.problems.map((p) => userError(p.code, p.message, ["input", p.field]));
        throw new GraphQLError(userErrors.map((e) => e.message).join("; "), {
          extensions: { code: "BAD_USER_INPUT", userErrors },
        });
      }
      return { ...quote, months: input.months };
    },
  }),
);
