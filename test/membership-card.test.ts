import { eq } from "drizzle-orm";
import { print } from "graphql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { documentId } from "../schema/client/client";
import { MyMembership } from "../schema/client/operations";
import { memberships, participants } from "../src/db/tables";
import { parseCardSigningKeys, signCardCode } from "../src/modules/cards/card-code";
import { bearer, dataOf, startTestApi, TEST_CARD_KEYS, type TestApi, TODAY } from "./testkit/api";
import { instantDaysFromToday, lastDateOf, monthKey, TODAY_DATE } from "./testkit/dates";
import { givenParticipant, givenPartnerKey } from "./testkit/fixtures";
import { newKey, notify, pay, payAndSettle } from "./testkit/payments";

/**
 * The member's own card and JHT savings (#30 item 2): `myMembership` for the member themself, its
 * signed verification code, the public `verifyMembershipCard` (VALID / EXPIRED / REVOKED / INVALID,
 * rate-limited per client), and JHT contributions from settled and refunded payments.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());
// Tests that move "today" put it back.
afterEach(() => api.setToday(TODAY));

const MY_CARD = `{ myMembership {
  fullName nik kpj segment programs status paidThrough issuedOn validUntil
  verificationCode { code issuedAt expiresAt }
  jhtSavings { months { month amount } total }
} }`;
type Card = {
  fullName: string;
  nik: string;
  kpj: string;
  segment: string;
  programs: string[];
  status: string;
  paidThrough: string | null;
  issuedOn: string;
  validUntil: string | null;
  verificationCode: { code: string; issuedAt: string; expiresAt: string } | null;
  jhtSavings: { months: { month: string; amount: string }[]; total: string };
};

const VERIFY = `query ($code: String!) { verifyMembershipCard(code: $code) {
  status message codeExpiresAt card { initials kpj segment status validUntil }
} }`;
type Verification = {
  status: string;
  message: string;
  codeExpiresAt: string | null;
  card: { initials: string; kpj: string; segment: string; status: string; validUntil: string | null } | null;
};

let addressSerial = 0;
/** Each verifier its own client address, so no test spends another's verification budget. */
const verifier = (language = "en") => ({
  "x-forwarded-for": `198.51.100.${++addressSerial}`,
  "accept-language": language,
});

async function myCard(participantId: number) {
  const response = await api.graphql<{ myMembership: Card | null }>(
    MY_CARD,
    {},
    await bearer({ role: "PARTICIPANT", participantId, subject: `member-${participantId}` }),
  );
  return { response, card: dataOf(response).myMembership };
}

async function verify(code: string, headers: Record<string, string> = verifier()) {
  const response = await api.graphql<{ verifyMembershipCard: Verification }>(VERIFY, { code }, headers);
  return { response, answer: dataOf(response).verifyMembershipCard };
}

async function kpjOf(participantId: number) {
  const [row] = await api.db.select().from(memberships).where(eq(memberships.participantId, participantId));
  if (!row) throw new Error("no membership");
  return row;
}

/** A member with their first month paid, and a code from their card. */
async function memberWithCode(nik: string, fullName = "Siti Rahayu") {
  const member = await givenParticipant(api.db, { nik, fullName });
  await payAndSettle(api, member.id, 1);
  const { card } = await myCard(member.id);
  const code = card?.verificationCode?.code;
  if (!code) throw new Error("no verification code");
  return { member, code };
}

describe("the member's own card (myMembership)", () => {
  it("shows the member their card: full KPJ, masked NIK, status, validity and a fresh code", async () => {
    const nik = "3171015708900401";
    const member = await givenParticipant(api.db, { nik, fullName: "Wulan Sari" });
    await payAndSettle(api, member.id, 1);
    const { response, card } = await myCard(member.id);
    const membership = await kpjOf(member.id);
    expect(card).toEqual({
      fullName: "Wulan Sari",
      nik: "3171************",
      kpj: membership.kpj,
      segment: "BPU",
      programs: ["JKK", "JKM", "JHT"],
      status: "ACTIVE",
      paidThrough: monthKey(0),
      issuedOn: TODAY_DATE,
      // Paid through this month; protected through the two grace months after it.
      validUntil: lastDateOf(2),
      verificationCode: { code: expect.any(String), issuedAt: TODAY, expiresAt: instantDaysFromToday(1) },
      jhtSavings: { months: [{ month: monthKey(0), amount: "20000" }], total: "20000" },
    });
    // Short enough for a QR code, and it carries no NIK, no name, no KPJ number.
    const code = card?.verificationCode?.code ?? "";
    expect(code.length).toBeLessThan(200);
    const payload = Buffer.from(code.split(".")[1] ?? "", "base64url").toString();
    expect(Object.keys(JSON.parse(payload)).sort()).toEqual(["exp", "iat", "mid"]);
    for (const secret of [nik, "Wulan", membership.kpj]) expect(payload).not.toContain(secret);
    expect(JSON.stringify(response)).not.toContain(nik);
  });

  it("runs in the JMO app as a registered document (first-party tokens send ids, not text)", async () => {
    const member = await givenParticipant(api.db, { nik: "3171015708900411" });
    const response = await api.graphqlRaw<{ myMembership: Card }>(
      { documentId: await documentId(print(MyMembership)) },
      await bearer({ role: "PARTICIPANT", participantId: member.id, clientId: "jmo" }),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.myMembership.kpj).toBe((await kpjOf(member.id)).kpj);
  });

  it("refuses every other role, and anonymous callers", async () => {
    const member = await givenParticipant(api.db, { nik: "3171015708900402" });
    const partner = await givenPartnerKey(api, ["pii:read"]);
    const callers = [
      await bearer({ role: "ADMIN" }),
      await bearer({ role: "OFFICER", region: "31", scopes: ["pii:read"] }),
      await bearer({ role: "SPONSOR", sponsorId: 1 }),
      partner.headers,
    ];
    for (const headers of callers) {
      const response = await api.graphql(MY_CARD, {}, headers);
      expect(response.data).toEqual({ myMembership: null });
      expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    const anonymous = await api.graphql(MY_CARD, {}, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    // A worker's own token sees their card, never someone else's.
    expect((await myCard(member.id)).card?.nik).toBe("3171************");
  });
});

describe("checking a card (verifyMembershipCard)", () => {
  it("answers VALID for a fresh code, with only what recognising the holder needs", async () => {
    const nik = "3171015708900403";
    const { member, code } = await memberWithCode(nik, "Siti Rahayu");
    const { kpj } = await kpjOf(member.id);
    const { response, answer } = await verify(code);
    expect(answer).toEqual({
      status: "VALID",
      message: "This membership card is genuine and its membership is open.",
      codeExpiresAt: instantDaysFromToday(1),
      card: {
        initials: "S. R.",
        kpj: `*******${kpj.slice(-4)}`,
        segment: "BPU",
        status: "ACTIVE",
        validUntil: lastDateOf(2),
      },
    });
    const text = JSON.stringify(response);
    for (const secret of [nik, kpj, "Siti", "Rahayu"]) expect(text).not.toContain(secret);
    // Labels in the verifier's language.
    expect((await verify(code, verifier("id"))).answer.message).toBe(
      "Kartu peserta ini asli dan kepesertaannya masih berjalan.",
    );
  });

  it("still accepts codes signed with the previous key after a rotation", async () => {
    const member = await givenParticipant(api.db, { nik: "3171015708900404" });
    const parsed = parseCardSigningKeys(`${TEST_CARD_KEYS.previous.kid}:${TEST_CARD_KEYS.previous.secret}`);
    if ("problem" in parsed) throw new Error(parsed.problem);
    const { code } = await signCardCode(parsed.keys, (await kpjOf(member.id)).id, api.clock.now());
    expect((await verify(code)).answer.status).toBe("VALID");
  });

  it("answers INVALID for a tampered, forged or malformed code, never an error", async () => {
    const { code } = await memberWithCode("3171015708900405");
    const [header, payload, signature] = code.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as { mid: number };
    const otherMember = Buffer.from(JSON.stringify({ ...claims, mid: claims.mid + 1 })).toString("base64url");
    for (const bad of [
      `${header}.${otherMember}.${signature}`,
      `${code.slice(0, -3)}${code.endsWith("AAA") ? "BBB" : "AAA"}`,
      "not-a-code",
      "",
      "x".repeat(5_000),
    ]) {
      const { response, answer } = await verify(bad);
      expect(response.errors).toBeUndefined();
      expect(answer).toEqual({
        status: "INVALID",
        message: "This is not a genuine BPJS Ketenagakerjaan membership card code.",
        codeExpiresAt: null,
        card: null,
      });
    }
  });

  it("answers EXPIRED once the code's day is over (a screenshot stops working)", async () => {
    const { code } = await memberWithCode("3171015708900406");
    const expiry = Date.parse(instantDaysFromToday(1));
    api.setToday(new Date(expiry - 1000).toISOString());
    expect((await verify(code)).answer.status).toBe("VALID");
    // From the expiry instant on (RFC 7519: "on or after"), it is refused.
    api.setToday(new Date(expiry).toISOString());
    expect((await verify(code)).answer).toEqual({
      status: "EXPIRED",
      message: "This card's code has expired. Ask the member to open their card in the JMO app and scan the new code.",
      codeExpiresAt: instantDaysFromToday(1),
      card: null,
    });
  });

  it("answers REVOKED once the membership has ended, and the member then has no open card", async () => {
    const { member, code } = await memberWithCode("3171015708900407");
    await api.db
      .update(memberships)
      .set({ endedOn: TODAY_DATE, endReason: "VOLUNTARY_STOP" })
      .where(eq(memberships.participantId, member.id));
    expect((await verify(code)).answer).toMatchObject({
      status: "REVOKED",
      message: "The membership on this card has ended; the card no longer counts as proof of membership.",
      card: null,
      codeExpiresAt: instantDaysFromToday(1),
    });
    expect((await myCard(member.id)).card).toBeNull();
  });

  it("refuses a client over its limit with RATE_LIMITED, and only that client", async () => {
    const { code } = await memberWithCode("3171015708900408");
    const client = verifier();
    for (let i = 0; i < 30; i++) expect((await verify(code, client)).answer.status).toBe("VALID");
    const refused = await api.graphql(VERIFY, { code }, client);
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]).toMatchObject({
      message: "Too many card checks from this client: at most 30 every 60 seconds; wait a minute and retry",
      extensions: { code: "RATE_LIMITED" },
    });
    const inIndonesian = await api.graphql(VERIFY, { code }, { ...client, "accept-language": "id" });
    expect(inIndonesian.errors?.[0]?.message).toMatch(/^Terlalu banyak pemeriksaan kartu/);
    expect((await verify(code)).answer.status).toBe("VALID");
  });
});

describe("JHT savings on the card", () => {
  it("counts settled payments' JHT, keeps a refunded payment's used months, and nothing from a payment without JHT", async () => {
    const member = await givenParticipant(api.db, { nik: "3171015708900409" });
    // Three months (this one and the next two), refunded today: this month is used and stays.
    const prepaid = await pay(api, member.id, 3);
    await notify(api, { reference: `S-${newKey()}`, paymentId: prepaid.id, status: "SETTLED", amount: prepaid.amount });
    const unused = (BigInt(prepaid.amount) * 2n) / 3n;
    const refund = await notify(api, {
      reference: `R-${newKey()}`,
      paymentId: prepaid.id,
      status: "REFUNDED",
      amount: String(unused),
    });
    expect(refund.status).toBe(200);
    // Next month, with JHT.
    await payAndSettle(api, member.id, 1);
    // The month after, without JHT: the worker left the program.
    await api.db
      .update(participants)
      .set({ programs: ["JKK", "JKM"] })
      .where(eq(participants.id, member.id));
    await payAndSettle(api, member.id, 1);

    const { response, card } = await myCard(member.id);
    expect(card?.paidThrough).toBe(monthKey(2));
    expect(card?.jhtSavings).toEqual({
      months: [
        { month: monthKey(0), amount: "20000" },
        { month: monthKey(1), amount: "20000" },
      ],
      // Settled Rp60,000 + Rp20,000 of JHT, less the two refunded months' Rp40,000.
      total: "40000",
    });
    expect(JSON.stringify(response)).not.toContain(member.nik);
  });

  it("is empty before the first payment", async () => {
    const member = await givenParticipant(api.db, { nik: "3171015708900410" });
    const { card } = await myCard(member.id);
    expect(card).toMatchObject({
      status: "PENDING",
      paidThrough: null,
      validUntil: null,
      jhtSavings: { months: [], total: "0" },
    });
  });
});
