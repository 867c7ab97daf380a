import { builder } from "../../builder";
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
