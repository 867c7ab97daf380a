import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi, TODAY } from "./testkit/api";
import { at, dateIn, month, monthKey } from "./testkit/dates";
import { givenCoverage, givenParticipant, givenSponsor } from "./testkit/fixtures";

// "Today" is TODAY; paid-through months are relative to its WIB month. The due-soon lists, which
// count days to the 15th, are asked on the 15th of that month: contributions for it fall due that day.
let api: TestApi;
const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const ids: Record<string, number> = {};
let sponsorId = 0;

// Everyone here registered a year ago (not at the database's clock): before every paid month, and
// outside the retention cohort below.
const registeredAt = at(-12, 10);

beforeAll(async () => {
  api = await startTestApi();
  sponsorId = (await givenSponsor(api.db, { name: "Outreach Sponsor" })).id;
  const registrant = await givenParticipant(api.db, {
    fullName: "Nyalakan Registrant",
    paidThrough: month(0),
    registeredAt,
  });
  ids.registrant = registrant.id;
  const jakarta = "31.71.01.1001";
  const bandung = "32.73.01.1001";
  const arrange: [string, string | null, string, Partial<{ sponsorId: number; registeredById: number }>][] = [
    ["Paid Through This Month", month(0), jakarta, {}],
    ["Paid Through Last Month", month(-1), jakarta, { registeredById: registrant.id }],
    ["Paid Through Two Months Ago", month(-2), jakarta, { sponsorId }],
    ["Paid Through Three Months Ago", month(-3), jakarta, { registeredById: registrant.id }],
    ["Paid Through Six Months Ago", month(-6), jakarta, {}],
    ["Never Paid", null, jakarta, {}],
    ["Bandung Grace", month(-1), bandung, { sponsorId }],
  ];
  for (const [fullName, paidThrough, villageCode, extra] of arrange) {
    ids[fullName] = (await givenParticipant(api.db, { fullName, paidThrough, villageCode, registeredAt, ...extra })).id;
  }
});
afterAll(async () => api?.close());

const LIST = `query ($list: OutreachList!, $withinDays: Int, $lapsedWithinMonths: Int, $filter: ParticipantFilter) {
  outreachList(list: $list, first: 10, withinDays: $withinDays, lapsedWithinMonths: $lapsedWithinMonths, filter: $filter) {
    totalCount
    nodes { fullName nik status monthsUntilInactive inactiveSince nextDueDate }
  }
}`;
type Listed = {
  outreachList: {
    totalCount: number;
    nodes: {
      fullName: string;
      nik: string;
      status: string;
      monthsUntilInactive: number | null;
      inactiveSince: string | null;
      nextDueDate: string;
    }[];
  };
};

async function list(headers: Record<string, string>, variables: Record<string, unknown>) {
  return dataOf(await api.graphql<Listed>(LIST, variables, headers)).outreachList;
}

describe("work lists", () => {
  it("gives an officer the workers in grace in their region, fewest protected months first, masked", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31" });
    const grace = await list(officer, { list: "IN_GRACE" });
    expect(grace.nodes.map((n) => [n.fullName, n.status, n.monthsUntilInactive])).toEqual([
      ["Paid Through Two Months Ago", "GRACE", 1],
      ["Paid Through Last Month", "GRACE", 2],
    ]);
    expect(grace.totalCount).toBe(2);
    expect(grace.nodes.every((n) => n.nik.endsWith("************"))).toBe(true);
  });

  it("lists who is due within the window, and who lapsed recently for win-back", async () => {
    const admin = await bearer({ role: "ADMIN" });
    // Due dates are the 15th: on the 15th, 7 days reach this month's only, 31 days next month's too.
    api.setToday(at(0, 15));
    try {
      const due = await list(admin, { list: "DUE_SOON", withinDays: 7, filter: { regionCode: "31" } });
      expect(due.nodes.map((n) => [n.fullName, n.nextDueDate])).toEqual([["Paid Through Last Month", dateIn(0, 15)]]);
      const withinMonth = await list(admin, { list: "DUE_SOON", withinDays: 31, filter: { regionCode: "31" } });
      expect(withinMonth.nodes.map((n) => n.fullName)).toEqual([
        "Paid Through Last Month",
        "Nyalakan Registrant",
        "Paid Through This Month",
      ]);
    } finally {
      api.setToday(TODAY);
    }
    const winBack = await list(admin, { list: "WIN_BACK", lapsedWithinMonths: 1 });
    expect(winBack.nodes.map((n) => [n.fullName, n.inactiveSince])).toEqual([
      ["Paid Through Three Months Ago", monthKey(0)],
    ]);
    const longer = await list(admin, { list: "WIN_BACK", lapsedWithinMonths: 4 });
    expect(longer.nodes.map((n) => n.fullName)).toEqual([
      "Paid Through Three Months Ago",
      "Paid Through Six Months Ago",
    ]);
  });

  it("gives a sponsor its own workers and a Nyalakan registrant their referrals", async () => {
    const sponsor = await list(await bearer({ role: "SPONSOR", sponsorId }), { list: "IN_GRACE" });
    expect(sponsor.nodes.map((n) => n.fullName)).toEqual(["Paid Through Two Months Ago", "Bandung Grace"]);
    const registrant = await bearer({ role: "PARTICIPANT", participantId: ids.registrant });
    const referrals = await list(registrant, { list: "IN_GRACE" });
    expect(referrals.nodes.map((n) => n.fullName)).toEqual(["Paid Through Last Month"]);
    expect((await list(registrant, { list: "WIN_BACK" })).nodes.map((n) => n.fullName)).toEqual([
      "Paid Through Three Months Ago",
    ]);
  });

  it("refuses windows outside the limits, and anonymous callers", async () => {
    const admin = await bearer({ role: "ADMIN" });
    for (const variables of [
      { list: "DUE_SOON", withinDays: -1 },
      { list: "DUE_SOON", withinDays: 93 },
      { list: "WIN_BACK", lapsedWithinMonths: 0 },
      { list: "WIN_BACK", lapsedWithinMonths: 13 },
    ]) {
      const response = await api.graphql(LIST, variables, admin);
      expect(response.errors?.[0]?.message).toBeTruthy();
      expect(response.data?.outreachList ?? null).toBeNull();
    }
    const anonymous = await api.graphql(LIST, { list: "IN_GRACE" }, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

const RECORD = `mutation ($input: RecordOutreachInput!) {
  recordOutreach(input: $input) {
    outreach { channel outcome note statusAtContact recordedByRole }
    participant { fullName outreach(first: 5) { totalCount nodes { channel outcome } } }
    userErrors { field code message }
  }
}`;
type Recorded = {
  recordOutreach: {
    outreach: {
      channel: string;
      outcome: string;
      note: string | null;
      statusAtContact: string;
      recordedByRole: string;
    } | null;
    participant: {
      fullName: string;
      outreach: { totalCount: number; nodes: { channel: string; outcome: string }[] };
    } | null;
    userErrors: { field: string[]; code: string; message: string }[];
  };
};

describe("recording outreach", () => {
  const input = (name: string, extra: Record<string, unknown> = {}) => ({
    input: {
      participantId: gid("Participant", ids[name] ?? 0),
      channel: "VISIT",
      outcome: "PROMISED_TO_PAY",
      ...extra,
    },
  });

  it("keeps an officer's visit in the worker's history, with the status at the time", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31" });
    const recorded = dataOf(
      await api.graphql<Recorded>(
        RECORD,
        input("Paid Through Two Months Ago", { note: "  Akan bayar Jumat  " }),
        officer,
      ),
    ).recordOutreach;
    expect(recorded.userErrors).toEqual([]);
    expect(recorded.outreach).toEqual({
      channel: "VISIT",
      outcome: "PROMISED_TO_PAY",
      note: "Akan bayar Jumat",
      statusAtContact: "GRACE",
      recordedByRole: "OFFICER",
    });
    expect(recorded.participant?.outreach.totalCount).toBe(1);
  });

  it("lets a registrant record outreach to their referral, not to themself", async () => {
    const registrant = await bearer({ role: "PARTICIPANT", participantId: ids.registrant });
    const referral = dataOf(
      await api.graphql<Recorded>(
        RECORD,
        input("Paid Through Last Month", { channel: "WHATSAPP", outcome: "REACHED" }),
        registrant,
      ),
    ).recordOutreach;
    expect(referral.userErrors).toEqual([]);
    const self = await api.graphql<Recorded>(RECORD, input("registrant"), registrant);
    expect(self.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("answers a worker the caller may not see as not found, and bad input field by field", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31" });
    const unseen = dataOf(await api.graphql<Recorded>(RECORD, input("Bandung Grace"), officer)).recordOutreach;
    expect(unseen.userErrors.map((e) => [e.code, e.field])).toEqual([["NOT_FOUND", ["input", "participantId"]]]);
    const long = dataOf(
      await api.graphql<Recorded>(RECORD, input("Paid Through Two Months Ago", { note: "x".repeat(501) }), officer),
    ).recordOutreach;
    expect(long.userErrors.map((e) => [e.code, e.field])).toEqual([["INVALID_INPUT", ["input", "note"]]]);
    const partner = await api.graphql<Recorded>(
      RECORD,
      input("Paid Through Two Months Ago"),
      await bearer({ role: "PARTNER", scopes: ["participants:read"] }),
    );
    expect(partner.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("sponsor reports for Indonesian Excel", () => {
  async function download(path: string, headers: Record<string, string>) {
    const response = await api.request(path, { headers });
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  }

  it("lists the sponsor's workers with status, paid-through and what it paid per month, ;-separated", async () => {
    const sponsor = await givenSponsor(api.db, { name: "Laporan Sponsor" });
    const covered = await givenParticipant(api.db, {
      fullName: "Covered; Worker",
      sponsorId: sponsor.id,
      paidThrough: month(-1),
      registeredAt,
    });
    await givenCoverage(api.db, covered.id, [month(-2), month(-1)], {
      payer: "SPONSOR",
      payerSponsorId: sponsor.id,
    });
    const path = `/sponsors/${gid("Sponsor", sponsor.id)}/workers.csv?from=${monthKey(-2)}&to=${monthKey(0)}`;
    const report = await download(path, await bearer({ role: "SPONSOR", sponsorId: sponsor.id }));
    expect(report.status).toBe(200);
    expect(report.type).toContain("text/csv");
    const [header, row, ...rest] = report.text
      .replace(/^\uFEFF/, "")
      .trimEnd()
      .split("\r\n");
    expect(header).toBe(
      `participantId;nik;fullName;villageCode;status;paidThrough;${monthKey(-2)};${monthKey(-1)};${monthKey(0)}`,
    );
    expect(row).toBe(
      `${gid("Participant", covered.id)};${covered.nik.slice(0, 4)}************;"Covered; Worker";31.71.01.1001;GRACE;${monthKey(-1)};36800;36800;`,
    );
    expect(rest).toEqual([]);
    const receipts = await download(
      `/sponsors/${gid("Sponsor", sponsor.id)}/receipts.csv?from=${monthKey(-2)}&to=${monthKey(-1)}`,
      await bearer({ role: "SPONSOR", sponsorId: sponsor.id }),
    );
    expect(receipts.text.trimEnd().split("\r\n")).toHaveLength(3);
  });

  it("answers another sponsor's report as not found, and bad months as bad input", async () => {
    const sponsor = await givenSponsor(api.db, { name: "Sponsor Lain" });
    const stranger = await bearer({ role: "SPONSOR", sponsorId: sponsor.id + 1000 });
    const other = await download(`/sponsors/${gid("Sponsor", sponsor.id)}/workers.csv`, stranger);
    const missing = await download(`/sponsors/${gid("Sponsor", 987_654)}/workers.csv`, stranger);
    expect(other.status).toBe(404);
    expect(other.text).toBe(missing.text);
    const own = await bearer({ role: "SPONSOR", sponsorId: sponsor.id });
    // No month 13; from after to; more than 24 months.
    for (const query of [
      "?from=2026-13",
      `?from=${monthKey(0)}&to=${monthKey(-10)}`,
      `?from=${monthKey(-82)}&to=${monthKey(-10)}`,
    ]) {
      expect((await download(`/sponsors/${gid("Sponsor", sponsor.id)}/workers.csv${query}`, own)).status).toBe(400);
    }
    expect((await download(`/sponsors/${gid("Sponsor", sponsor.id)}/receipts.csv`, {})).status).toBe(401);
  });
});

describe("regional retention cohorts", () => {
  // The cohort registered three months ago; its month after is two months ago, already over.
  const COHORTS = `query ($regionCode: String) {
    retentionCohorts(from: "${monthKey(-3)}", to: "${monthKey(-3)}", regionCode: $regionCode) { cohort regionCode registered after1 }
  }`;
  type Cohorts = {
    retentionCohorts: { cohort: string; regionCode: string | null; registered: number; after1: number | null }[];
  };

  beforeAll(async () => {
    const cohortRegisteredAt = at(-3, 10);
    const kept = await givenParticipant(api.db, {
      fullName: "Cohort Kept",
      villageCode: "31.71.02.1001",
      registeredAt: cohortRegisteredAt,
    });
    await givenParticipant(api.db, {
      fullName: "Cohort Lost",
      villageCode: "31.73.01.1001",
      registeredAt: cohortRegisteredAt,
    });
    await givenParticipant(api.db, {
      fullName: "Cohort Bandung",
      villageCode: "32.73.01.1001",
      registeredAt: cohortRegisteredAt,
    });
    await givenCoverage(api.db, kept.id, [month(-2)]);
  });

  it("gives an officer their own province's and regencies' cohorts", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31" });
    const province = dataOf(await api.graphql<Cohorts>(COHORTS, {}, officer)).retentionCohorts;
    expect(province).toEqual([{ cohort: monthKey(-3), regionCode: "31", registered: 2, after1: 0.5 }]);
    const regency = dataOf(await api.graphql<Cohorts>(COHORTS, { regionCode: "31.73" }, officer)).retentionCohorts;
    expect(regency).toEqual([{ cohort: monthKey(-3), regionCode: "31.73", registered: 1, after1: 0 }]);
  });

  it("refuses another region, a district-level officer, and national cohorts to officers", async () => {
    const officer = await bearer({ role: "OFFICER", region: "31" });
    const elsewhere = await api.graphql(COHORTS, { regionCode: "32" }, officer);
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const district = await api.graphql(COHORTS, {}, await bearer({ role: "OFFICER", region: "31.71.02" }));
    expect(district.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const admin = dataOf(await api.graphql<Cohorts>(COHORTS, { regionCode: "32" })).retentionCohorts;
    expect(admin).toEqual([{ cohort: monthKey(-3), regionCode: "32", registered: 1, after1: 0 }]);
    const mixed = await api.graphql(
      `{ retentionCohorts(from: "${monthKey(-3)}", to: "${monthKey(-3)}", regionCode: "31", perEcosystem: true) { cohort } }`,
    );
    expect(mixed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
