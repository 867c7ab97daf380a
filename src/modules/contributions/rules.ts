import type { UserErrorCode } from "../../shared/errors";
import { type Message, msg } from "../../shared/messages";
import type { RiskLevel, Segment } from "../participants/tables";
import type { ContributionLineRow, Program } from "./tables";

/**
 * Contribution rates, as data. Rates are basis points (1/100 of a percent) of the reported monthly
 * income or wage; flat amounts are whole rupiah. Every figure names its legal source.
 */
export const contributionRates = {
  BPU: {
    /** JKK 1% of reported income (Rp10,000 at the lowest income); JKM flat Rp6,800; JHT 2%. */
    programs: {
      JKK: { basisPoints: 100n },
      JKM: { flat: 6_800n },
      JHT: { basisPoints: 200n },
    },
  },
  PU: {
    /**
     * PP 44/2015 annex I: JKK by the workplace's risk group — 1 very low 0.24%, 2 low 0.54%,
     * 3 medium 0.89%, 4 high 1.27%, 5 very high 1.74%.
     */
    jkkByRiskGroup: { 1: 24n, 2: 54n, 3: 89n, 4: 127n, 5: 174n } as Record<RiskGroup, bigint>,
    /** An occupation's risk level stands for a group when none is given: low 1, medium 3, high 5. */
    riskGroupOfLevel: { LOW: 1, MEDIUM: 3, HIGH: 5 } satisfies Record<RiskLevel, RiskGroup>,
    programs: {
      /** PP 44/2015 art. 18: JKM 0.30% of wage. */
      JKM: { basisPoints: 30n },
      /** PP 46/2015 art. 16: JHT 5.7% (3.7% employer, 2% worker). */
      JHT: { basisPoints: 570n },
      /** PP 45/2015 art. 28: JP 3% of wage, up to the wage cap in force that month (jpWageCaps). */
      JP: { basisPoints: 300n, capped: true },
      /** PP 37/2021 art. 11: JKP 0.46%, paid by the government and recomposed JKK/JKM, nothing from the payer. */
      JKP: { flat: 0n },
    },
  },
} as const;

export type RiskGroup = 1 | 2 | 3 | 4 | 5;

/**
 * The JP wage cap, as data with the month each figure takes effect: PP 45/2015 art. 28 sets it and
 * has it raised every year by the previous year's GDP growth, announced by BPJS Ketenagakerjaan and
 * in force from March. A month is priced with the cap in force in that month; a new year's figure is
 * one more row here.
 */
export const jpWageCaps: readonly { from: string; cap: bigint }[] = [
  { from: "2023-03", cap: 9_559_600n },
  { from: "2024-03", cap: 10_042_300n },
  { from: "2025-03", cap: 10_547_400n },
];

/** The JP wage cap in force in a month (`YYYY-MM`); before the first row, the first row's. */
export function jpWageCap(month: string): bigint {
  let cap = jpWageCaps[0]?.cap ?? 0n;
  for (const row of jpWageCaps) if (row.from <= month) cap = row.cap;
  return cap;
}

/** `YYYY-MM` of a month number (months since year 0). */
const monthLabel = (month: number) =>
  `${String(Math.floor(month / 12)).padStart(4, "0")}-${String((month % 12) + 1).padStart(2, "0")}`;

/** The latest month with a figure: what an undated price uses. */
const latestMonth = () => jpWageCaps.at(-1)?.from ?? "2025-03";

/**
 * Which programs each segment must and may join, and the reported monthly income it may declare.
 * BPU: JKK and JKM mandatory, JHT optional, income Rp1,000,000 to Rp20,700,000 (Permenaker 5/2021
 * art. 5 and annex); JP and JKP are for wage earners only (PP 45/2015, PP 37/2021). PU: JKK, JKM
 * and JHT mandatory, JP and JKP by employer size (PP 44/2015 art. 6, PP 45/2015). JAKON: JKK and
 * JKM (Permenaker 44/2015). PMI: JKK and JKM mandatory, JHT optional (Permenaker 4/2023).
 */
export const segmentPolicies: Record<
  Segment,
  { required: readonly Program[]; optional: readonly Program[]; minIncome: bigint; maxIncome: bigint | null }
> = {
  BPU: { required: ["JKK", "JKM"], optional: ["JHT"], minIncome: 1_000_000n, maxIncome: 20_700_000n },
  PU: { required: ["JKK", "JKM", "JHT"], optional: ["JP", "JKP"], minIncome: 1n, maxIncome: null },
  JAKON: { required: ["JKK", "JKM"], optional: [], minIncome: 1n, maxIncome: null },
  PMI: { required: ["JKK", "JKM"], optional: ["JHT"], minIncome: 1n, maxIncome: null },
};

/**
 * The programs a month must have paid to count as covered: the two every segment must join
 * (JKK and JKM). Status, `paidThrough` and the dashboard's active counts follow them alone; JHT,
 * JP and JKP are tracked month by month beside them but do not make anyone active.
 */
export const activePrograms: readonly Program[] = ["JKK", "JKM"];

/**
 * What a payment of `programs` is: FULL when it pays every program that makes a month covered
 * (and so extends `paidThrough`), PART when it pays none of them (a top-up of months already
 * covered, such as a worker's JHT beside a sponsor's JKK + JKM), null when it splits them.
 */
export function paymentKind(programs: readonly Program[]): "FULL" | "PART" | null {
  const held = activePrograms.filter((program) => programs.includes(program)).length;
  return held === activePrograms.length ? "FULL" : held === 0 && programs.length > 0 ? "PART" : null;
}

/**
 * Each payer's part of a contribution: the sponsor's lines (the programs it pays) and the worker's
 * (the rest), in the quote's order. Every line lands in exactly one part.
 */
export function contributionParts(
  lines: readonly ContributionLineRow[],
  sponsoredPrograms: readonly Program[],
): { payer: "SPONSOR" | "WORKER"; lines: ContributionLineRow[]; total: bigint }[] {
  const sponsor = lines.filter((line) => sponsoredPrograms.includes(line.program));
  const worker = lines.filter((line) => !sponsoredPrograms.includes(line.program));
  return [
    { payer: "SPONSOR" as const, lines: sponsor, total: totalOf(sponsor) },
    { payer: "WORKER" as const, lines: worker, total: totalOf(worker) },
  ].filter((part) => part.lines.length > 0);
}

export type ProgramProblem = {
  code: "PROGRAM_REQUIRED" | "PROGRAM_NOT_ALLOWED" | "DUPLICATE_PROGRAM";
  program: Program;
  message: Message;
};

/** The first program listed twice, if any: a program is never priced or paid twice. */
export function repeatedProgram(programs: readonly Program[]): Program | undefined {
  return programs.find((program, i) => programs.indexOf(program) !== i);
}

/**
 * The first reason `programs` is not a valid enrollment for `segment`, or null: the one check
 * registration, updates and contributionQuote share (a program listed twice is never priced twice).
 */
export function programProblem(segment: Segment, programs: readonly Program[]): ProgramProblem | null {
  const policy = segmentPolicies[segment];
  const repeated = repeatedProgram(programs);
  if (repeated)
    return {
      code: "DUPLICATE_PROGRAM",
      program: repeated,
      message: msg("DUPLICATE_PROGRAM.program", { program: repeated }),
    };
  for (const program of policy.required) {
    if (!programs.includes(program)) {
      return { code: "PROGRAM_REQUIRED", program, message: msg("PROGRAM_REQUIRED.segment", { segment, program }) };
    }
  }
  for (const program of programs) {
    if (!policy.required.includes(program) && !policy.optional.includes(program)) {
      return {
        code: "PROGRAM_NOT_ALLOWED",
        program,
        message: msg("PROGRAM_NOT_ALLOWED.segment", { program, segment }),
      };
    }
  }
  return null;
}

/** Why `income` may not be declared for `segment`, or null. */
export function incomeProblem(segment: Segment, income: bigint): Message | null {
  const { minIncome, maxIncome } = segmentPolicies[segment];
  if (income < minIncome || (maxIncome !== null && income > maxIncome)) {
    return maxIncome === null
      ? msg("INCOME_OUT_OF_RANGE.atLeast", { segment, min: minIncome })
      : msg("INCOME_OUT_OF_RANGE.between", { segment, min: minIncome, max: maxIncome });
  }
  return null;
}

/** Months one payment may cover (Permenaker 5/2021: monthly, or ahead for 3, 6 or 12 months). */
export const paymentTerms = [1, 3, 6, 12] as const;

/**
 * A percentage of an amount in whole rupiah, rounded half up (Rp0.5 becomes Rp1), in integers
 * only: each program's monthly amount is rounded once, then multiplied by the months.
 */
function percentOf(amount: bigint, basisPoints: bigint): bigint {
  return (amount * basisPoints + 5_000n) / 10_000n;
}

/**
 * The monthly amount of one program for one worker in a month (`YYYY-MM`, default: the latest
 * rates), or null when the segment has no rate for it.
 */
export function monthlyProgramAmount(
  segment: Segment,
  program: Program,
  income: bigint,
  riskLevel: RiskLevel,
  month: string = latestMonth(),
  riskGroup: RiskGroup | null = null,
): bigint | null {
  if (segment === "BPU") {
    const rate = contributionRates.BPU.programs[program as keyof typeof contributionRates.BPU.programs];
    if (!rate) return null;
    return "flat" in rate ? rate.flat : percentOf(income, rate.basisPoints);
  }
  if (segment === "PU") {
    if (program === "JKK") {
      const group = riskGroup ?? contributionRates.PU.riskGroupOfLevel[riskLevel];
      return percentOf(income, contributionRates.PU.jkkByRiskGroup[group]);
    }
    const rate = contributionRates.PU.programs[program];
    if ("flat" in rate) return rate.flat;
    const cap = "capped" in rate ? jpWageCap(month) : null;
    return percentOf(cap !== null && income > cap ? cap : income, rate.basisPoints);
  }
  return null;
}

/**
 * Contribution = sum over enrolled programs of each covered month's amount, priced with the rates
 * in force that month (from `firstMonth`, a month number; default: today's rates for every month).
 * `monthlyAmount` is the first month's.
 */
export function contributionLines(
  segment: Segment,
  programs: readonly Program[],
  income: bigint,
  riskLevel: RiskLevel,
  months: number,
  firstMonth: number | null = null,
  riskGroup: RiskGroup | null = null,
): ContributionLineRow[] | null {
  const lines: ContributionLineRow[] = [];
  for (const program of programs) {
    let first: bigint | null = null;
    let amount = 0n;
    for (let i = 0; i < months; i++) {
      const month = firstMonth === null ? latestMonth() : monthLabel(firstMonth + i);
      const monthly = monthlyProgramAmount(segment, program, income, riskLevel, month, riskGroup);
      if (monthly === null) return null;
      first ??= monthly;
      amount += monthly;
    }
    lines.push({ program, monthlyAmount: (first ?? 0n).toString(), amount: amount.toString() });
  }
  return lines;
}

export function totalOf(lines: readonly ContributionLineRow[]): bigint {
  return lines.reduce((sum, line) => sum + BigInt(line.amount), 0n);
}

export interface QuoteRequest {
  segment: Segment;
  reportedMonthlyIncome: bigint;
  programs: readonly Program[];
  months: number;
  /** Needed for PU, whose JKK rate depends on the job's risk; BPU pay 1% whatever the risk. */
  riskLevel?: RiskLevel | null;
  /** PU: the workplace's JKK risk group (1-5), more precise than riskLevel. */
  riskGroup?: number | null;
  /** The first month priced (a month number); rates in force month by month from there. */
  firstMonth?: number | null;
  /** The programs a sponsor pays (JKK and JKM, perhaps JHT): the quote shows its part and the worker's. */
  sponsoredPrograms?: readonly Program[] | null;
}

export type ContributionPart = ReturnType<typeof contributionParts>[number];

export type QuoteProblem = { field: keyof QuoteRequest; code: UserErrorCode; message: Message };

/** A contribution quote, or every reason the request cannot be priced. */
export function quoteContribution(
  request: QuoteRequest,
): { lines: ContributionLineRow[]; total: bigint; parts: ContributionPart[] } | { problems: QuoteProblem[] } {
  const problems: QuoteProblem[] = [];
  if (!(paymentTerms as readonly number[]).includes(request.months)) {
    problems.push({ field: "months", code: "INVALID_MONTHS", message: msg("INVALID_MONTHS") });
  }
  if (request.segment !== "BPU" && request.segment !== "PU") {
    problems.push({
      field: "segment",
      code: "NOT_PRICED_MONTHLY",
      // JAKON is priced on a construction project's contract value (Permenaker 44/2015) and PMI as
      // fixed packages per placement period (Permenaker 4/2023): neither is a monthly tariff.
      message: msg("NOT_PRICED_MONTHLY.segment", { segment: request.segment }),
    });
    return { problems };
  }
  const program = programProblem(request.segment, request.programs);
  if (program) problems.push({ field: "programs", code: program.code, message: program.message });
  const sponsored = request.sponsoredPrograms ?? null;
  if (sponsored !== null) {
    const foreign = sponsored.filter((p) => !request.programs.includes(p));
    if (foreign.length > 0) {
      problems.push({
        field: "sponsoredPrograms",
        code: "PROGRAMS_SPLIT",
        message: msg("PROGRAMS_SPLIT.notJoined", { programs: foreign.join(", "), joined: request.programs.join(", ") }),
      });
    } else if (paymentKind(sponsored) !== "FULL") {
      const rest = request.programs.filter((p) => !activePrograms.includes(p));
      problems.push({
        field: "sponsoredPrograms",
        code: "PROGRAMS_SPLIT",
        message: msg("PROGRAMS_SPLIT.sponsored", { programs: rest.join(", ") || "-" }),
      });
    }
  }
  const income = incomeProblem(request.segment, request.reportedMonthlyIncome);
  if (income) problems.push({ field: "reportedMonthlyIncome", code: "INCOME_OUT_OF_RANGE", message: income });
  const riskGroup = request.riskGroup ?? null;
  if (riskGroup !== null && !(riskGroup >= 1 && riskGroup <= 5 && Number.isInteger(riskGroup))) {
    problems.push({ field: "riskGroup", code: "INVALID_INPUT", message: msg("INVALID_INPUT.riskGroup") });
  } else if (request.segment === "PU" && !request.riskLevel && riskGroup === null) {
    problems.push({
      field: "riskLevel",
      code: "INVALID_INPUT",
      message: msg("INVALID_INPUT.riskNeeded"),
    });
  }
  if (problems.length > 0) return { problems };
  const lines = contributionLines(
    request.segment,
    request.programs,
    request.reportedMonthlyIncome,
    request.riskLevel ?? "LOW",
    request.months,
    request.firstMonth ?? null,
    riskGroup as RiskGroup | null,
  );
  if (!lines)
    return {
      problems: [{ field: "programs", code: "PROGRAM_NOT_ALLOWED", message: msg("PROGRAM_NOT_ALLOWED.noRate") }],
    };
  return { lines, total: totalOf(lines), parts: contributionParts(lines, sponsored ?? []) };
}
