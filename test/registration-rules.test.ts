import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, dateIn, year } from "./testkit/dates";

/** The rules the agency applies at registration, each through GraphQL (today: TODAY unless said). */
let api: TestApi;
let serial = 0;
/** A NIK registered in `district` (digits only), born on DDMMYY. */
const nikFor = (district: string, ddmmyy: string) => `${district}${ddmmyy}${String(++serial).padStart(4, "0")}`;
/** A NIK's DDMMYY for a `YYYY-MM-DD` birth date. */
const ddmmyy = (birthDate: string) => `${birthDate.slice(8, 10)}${birthDate.slice(5, 7)}${birthDate.slice(2, 4)}`;
/** Day `day` of TODAY's WIB month, `yearsAgo` years before TODAY's year: a birthday this month. */
const bornYearsAgoOn = (yearsAgo: number, day: number) => `${year(-yearsAgo)}${dateIn(0, day).slice(4)}`;

const input = (overrides: Record<string, unknown> = {}) => ({
  nik: nikFor("317101", "170890"),
  fullName: "Siti Rahayu",
  phone: "0812-3456-7890",
  segment: "BPU",
  occupation: "Nelayan",
  ecosystem: "VILLAGE",
  villageCode: "32.73.01.1001",
  reportedMonthlyIncome: "1500000",
  programs: ["JKK", "JKM", "JHT"],
  ...overrides,
});

const REGISTER = `mutation ($input: RegisterParticipantInput!) {
  registerParticipant(input: $input) {
    participant { id birthDate nextDueDate region { code } }
    userErrors { field code message }
  }
}`;
type Registered = {
  registerParticipant: {
    participant: { id: string; birthDate: string; nextDueDate: string; region: { code: string } } | null;
    userErrors: { field: string[]; code: string; message: string }[];
  };
};
const register = async (target: TestApi, values: Record<string, unknown>) =>
  dataOf(await target.graphql<Registered>(REGISTER, { input: values })).registerParticipant;
const codes = (errors: { field: string[]; code: string }[]) => errors.map((e) => [e.code, e.field.join(".")]);

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

describe("one program check for quotes and registration", () => {
  const QUOTE = `query ($input: ContributionQuoteInput!) { contributionQuote(input: $input) { total } }`;

  it("refuses a program listed twice in a quote, as registration does, instead of charging it twice", async () => {
    const quote = await api.graphql(
      QUOTE,
      { input: { segment: "BPU", reportedMonthlyIncome: "1000000", programs: ["JKK", "JKK", "JKM"], months: 1 } },
      {},
    );
    expect(quote.data?.contributionQuote ?? null).toBeNull();
    expect(quote.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      userErrors: [{ field: ["input", "programs"], code: "DUPLICATE_PROGRAM" }],
    });
    const registration = await register(api, input({ programs: ["JKK", "JKK", "JKM"] }));
    expect(codes(registration.userErrors)).toEqual([["DUPLICATE_PROGRAM", "input.programs"]]);
  });

  it("answers a quote that cannot be priced as userErrors (data), in the caller's language, beside a priced one", async () => {
    const QUOTES = `query ($bad: ContributionQuoteInput!, $good: ContributionQuoteInput!) {
      bad: quoteContribution(input: $bad) { quote { total } userErrors { field code message } }
      good: quoteContribution(input: $good) { quote { total months } userErrors { code } }
    }`;
    type Quotes = Record<
      "bad" | "good",
      { quote: { total: string } | null; userErrors: { field: string[]; code: string; message: string }[] }
    >;
    const variables = {
      bad: { segment: "BPU", reportedMonthlyIncome: "500000", programs: ["JKK"], months: 2 },
      good: { segment: "BPU", reportedMonthlyIncome: "1000000", programs: ["JKK", "JKM"], months: 3 },
    };
    const answer = dataOf(await api.graphql<Quotes>(QUOTES, variables, { "accept-language": "id" }));
    expect(answer.good).toEqual({ quote: { total: "50400", months: 3 }, userErrors: [] });
    expect(answer.bad).toEqual({
      quote: null,
      userErrors: [
        {
          field: ["input", "months"],
          code: "INVALID_MONTHS",
          message: "Pembayaran hanya bisa untuk 1, 3, 6, atau 12 bulan.",
        },
        { field: ["input", "programs"], code: "PROGRAM_REQUIRED", message: "Peserta BPU wajib ikut program JKM." },
        {
          field: ["input", "reportedMonthlyIncome"],
          code: "INCOME_OUT_OF_RANGE",
          message: "Penghasilan per bulan untuk BPU harus antara Rp1.000.000 dan Rp20.700.000.",
        },
      ],
    });
  });

  it("rounds each program's monthly amount half up to whole rupiah", async () => {
    // JKK 1% of Rp1,000,050 is Rp10,000.50: Rp10,001. JHT 2% is Rp20,001 exactly.
    const quote = dataOf(
      await api.graphql<{ contributionQuote: { total: string; lines: { monthlyAmount: string }[] } }>(
        `query ($input: ContributionQuoteInput!) { contributionQuote(input: $input) { total lines { monthlyAmount } } }`,
        { input: { segment: "BPU", reportedMonthlyIncome: "1000050", programs: ["JKK", "JKM", "JHT"], months: 3 } },
        {},
      ),
    );
    expect(quote.contributionQuote.lines.map((l) => l.monthlyAmount)).toEqual(["10001", "6800", "20001"]);
    expect(quote.contributionQuote.total).toBe(String((10_001 + 6_800 + 20_001) * 3));
  });
});

describe("every input error at once", () => {
  it("reports an empty name together with every other problem, each on its field with its code", async () => {
    const result = await register(
      api,
      input({
        fullName: "",
        nik: "317101170890000",
        phone: "+1 202 555 0100",
        occupation: "Astronaut",
        villageCode: "31.71.01",
        reportedMonthlyIncome: "500000",
        programs: [],
      }),
    );
    expect(result.participant).toBeNull();
    const distinct = [...new Map(codes(result.userErrors).map((pair) => [pair.join(" "), pair])).values()];
    expect(distinct.sort()).toEqual(
      [
        ["INVALID_INPUT", "input.fullName"],
        ["INVALID_NIK", "input.nik"],
        ["INVALID_PHONE", "input.phone"],
        ["UNKNOWN_OCCUPATION", "input.occupation"],
        ["INVALID_VILLAGE", "input.villageCode"],
        ["INCOME_OUT_OF_RANGE", "input.reportedMonthlyIncome"],
        ["PROGRAM_REQUIRED", "input.programs"],
      ].sort(),
    );
  });
});

describe("working age", () => {
  it("refuses a worker born last year, under 18 or over 65 for a new BPU member, and accepts the limits", async () => {
    // Birthdays are days of the month: registering on the 15th of TODAY's month, "18 today" and
    // "18 tomorrow" are the 15th and the 16th, days every month has in every year.
    api.setToday(at(0, 15));
    try {
      expect(
        codes((await register(api, input({ nik: nikFor("317101", ddmmyy(`${year(-1)}-01-01`)) }))).userErrors),
      ).toEqual([["AGE_OUT_OF_RANGE", "input.nik"]]);
      // 18 tomorrow: still 17 today.
      expect(
        codes((await register(api, input({ nik: nikFor("317101", ddmmyy(bornYearsAgoOn(18, 16))) }))).userErrors),
      ).toEqual([["AGE_OUT_OF_RANGE", "input.nik"]]);
      const eighteen = await register(api, input({ nik: nikFor("317101", ddmmyy(bornYearsAgoOn(18, 15))) }));
      expect(eighteen.userErrors).toEqual([]);
      expect(eighteen.participant?.birthDate).toBe(bornYearsAgoOn(18, 15));
      // Born on 1 January 66 years ago: 66, past the age a new BPU member may join at.
      expect(
        codes((await register(api, input({ nik: nikFor("317101", ddmmyy(`${year(-66)}-01-01`)) }))).userErrors),
      ).toEqual([["AGE_OUT_OF_RANGE", "input.nik"]]);
      const sixtyFive = await register(api, input({ nik: nikFor("317101", ddmmyy(bornYearsAgoOn(65, 15))) }));
      expect(sixtyFive.userErrors).toEqual([]);
      expect(sixtyFive.participant?.birthDate).toBe(bornYearsAgoOn(65, 15));
    } finally {
      api.setToday(TODAY);
    }
  });
});

describe("NIKs from before a region split", () => {
  it("accepts Jayawijaya's 91.02 and Sorong's 92.01, keeping the worker's current village", async () => {
    const jayawijaya = await register(api, input({ nik: nikFor("910201", "170890"), villageCode: "95.01.01.1001" }));
    expect(jayawijaya.userErrors).toEqual([]);
    expect(jayawijaya.participant?.region.code).toBe("95.01.01.1001");
    const sorong = await register(api, input({ nik: nikFor("920101", "170890") }));
    expect(sorong.userErrors).toEqual([]);
    // A code that never existed is still refused.
    expect(codes((await register(api, input({ nik: nikFor("919901", "170890") }))).userErrors)).toEqual([
      ["INVALID_NIK", "input.nik"],
    ]);
  });
});

describe("the first due date", () => {
  it("is never in the past: registered on the 25th, first due on the next month's 15th", async () => {
    // The due day is the 15th: registering after it, on the 25th of TODAY's month, is the case.
    const late = await startTestApi({ now: at(0, 25) });
    try {
      const result = await register(late, input());
      expect(result.userErrors).toEqual([]);
      expect(result.participant?.nextDueDate).toBe(dateIn(1, 15));
    } finally {
      await late.close();
    }
  });
});

describe("wage-earner rates", () => {
  const QUOTE = `query ($input: ContributionQuoteInput!) { contributionQuote(input: $input) { total lines { program monthlyAmount amount } } }`;
  type Quote = {
    contributionQuote: { total: string; lines: { program: string; monthlyAmount: string; amount: string }[] };
  };
  const pu = (overrides: Record<string, unknown>) => ({
    segment: "PU",
    reportedMonthlyIncome: "5000000",
    programs: ["JKK", "JKM", "JHT"],
    months: 1,
    riskLevel: "LOW",
    ...overrides,
  });

  it("price JKK in the five risk groups", async () => {
    const jkk = async (riskGroup: number) =>
      dataOf(await api.graphql<Quote>(QUOTE, { input: pu({ riskGroup }) }, {})).contributionQuote.lines[0]
        ?.monthlyAmount;
    expect([await jkk(1), await jkk(2), await jkk(3), await jkk(4), await jkk(5)]).toEqual([
      "12000",
      "27000",
      "44500",
      "63500",
      "87000",
    ]);
    const bad = await api.graphql(QUOTE, { input: pu({ riskGroup: 6 }) }, {});
    expect(bad.errors?.[0]?.extensions).toMatchObject({ userErrors: [{ field: ["input", "riskGroup"] }] });
  });

  it("cap JP at the wage cap in force for the months quoted, not 2024's", async () => {
    const quote = dataOf(
      await api.graphql<Quote>(
        QUOTE,
        { input: pu({ reportedMonthlyIncome: "20000000", programs: ["JKK", "JKM", "JHT", "JP"], months: 3 }) },
        {},
      ),
    );
    // This month and the next two (quotes start in TODAY's month): the cap in force since March 2025,
    // Rp10,547,400 (3%: Rp316,422).
    expect(quote.contributionQuote.lines.find((l) => l.program === "JP")).toEqual({
      program: "JP",
      monthlyAmount: "316422",
      amount: "949266",
    });
  });

  it("say why JAKON and PMI have no monthly tariff", async () => {
    const jakon = await api.graphql(QUOTE, { input: pu({ segment: "JAKON", programs: ["JKK", "JKM"] }) }, {});
    expect(jakon.errors?.[0]?.extensions).toMatchObject({ userErrors: [{ code: "NOT_PRICED_MONTHLY" }] });
  });
});
