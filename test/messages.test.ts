import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signNotification } from "../src/modules/payments/signature";
import { bearer, dataOf, startTestApi, TEST_CHANNEL_SECRETS, type TestApi, TODAY } from "./testkit/api";
import { givenSponsor, givenSponsorship } from "./testkit/fixtures";

/** Messages in the caller's language, end to end: GraphQL userErrors and errors, the webhook, CSV files. */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const REGISTER = `mutation ($input: RegisterParticipantInput!) {
  registerParticipant(input: $input) { participant { id } userErrors { field code message } }
}`;
type Registered = { registerParticipant: { userErrors: { field: string[]; code: string; message: string }[] } };
const badBirthDate = {
  // Day 32 of month 08: no such birth date.
  nik: "3171013208900001",
  fullName: "Siti Rahayu",
  segment: "BPU",
  occupation: "x".repeat(121),
  ecosystem: "VILLAGE",
  villageCode: "32.73.01.1001",
  reportedMonthlyIncome: "1500000",
  programs: ["JKK", "JKM"],
};

async function register(language: string | null) {
  const headers = {
    ...(await bearer({ role: "ADMIN" })),
    ...(language === null ? {} : { "accept-language": language }),
  };
  // The testkit asks for English unless a request says otherwise: "no header" is sent as `*`, the default.
  const response = await api.graphql<Registered>(
    REGISTER,
    { input: badBirthDate },
    language === null ? { ...headers, "accept-language": "*" } : headers,
  );
  return dataOf(response).registerParticipant.userErrors;
}

describe("messages in the caller's language", () => {
  it("writes userErrors in Bahasa Indonesia for `id`, in English for `en`, and keeps the codes", async () => {
    const indonesian = await register("id-ID,id;q=0.9,en;q=0.8");
    expect(indonesian).toEqual([
      {
        field: ["input", "occupation"],
        code: "INVALID_INPUT",
        // zod's own Indonesian locale, where no sentence of ours applies.
        message: expect.stringMatching(/^Terlalu besar/),
      },
      {
        field: ["input", "nik"],
        code: "INVALID_NIK",
        message: "Tanggal lahir dalam NIK tidak valid. Periksa kembali 16 digit NIK Anda.",
      },
    ]);
    const english = await register("en-US,en;q=0.9");
    expect(english.map((e) => e.code)).toEqual(indonesian.map((e) => e.code));
    expect(english[0]?.message).toMatch(/^Too big/);
    expect(english[1]?.message).toBe(
      "NIK digits 7-12 must be a real birth date (DDMMYY, day + 40 for women) not in the future",
    );
  });

  it("answers in the default language (id) when Accept-Language names neither, and says which in Content-Language", async () => {
    const errors = await register(null);
    expect(errors[1]?.message).toBe("Tanggal lahir dalam NIK tidak valid. Periksa kembali 16 digit NIK Anda.");
    const response = await api.request("/health", { headers: { "accept-language": "fr" } });
    expect(response.headers.get("content-language")).toBe("id");
  });

  it("takes its default from DEFAULT_LANGUAGE", async () => {
    const response = await api.app.request(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json", "accept-language": "fr" },
        body: JSON.stringify({ query: "{ participants(first: 1) { totalCount } }" }),
      },
      { ...api.env, DEFAULT_LANGUAGE: "en" },
    );
    expect(response.headers.get("content-language")).toBe("en");
    expect(((await response.json()) as { errors: { message: string }[] }).errors[0]?.message).toBe(
      "Authentication required",
    );
  });

  it("writes top-level errors in the caller's language, with the same code", async () => {
    const anonymous = await api.graphql("{ participants(first: 1) { totalCount } }", {}, { "accept-language": "id" });
    expect(anonymous.errors?.[0]).toMatchObject({
      message: "Silakan masuk (login) terlebih dahulu.",
      extensions: { code: "UNAUTHENTICATED" },
    });
    const officer = await bearer({ role: "OFFICER", region: "31.71" });
    const outside = await api.graphql(
      '{ coverageDashboard(regionCode: "32") { registered } }',
      {},
      {
        ...officer,
        "accept-language": "id",
      },
    );
    expect(outside.errors?.[0]).toMatchObject({
      message: "Petugas hanya dapat melihat dasbor wilayah 31.71.",
      extensions: { code: "FORBIDDEN" },
    });
    const pageless = await api.graphql("{ participants { totalCount } }", {}, { "accept-language": "id" });
    expect(pageless.errors?.[0]?.message).toBe("participants membutuhkan `first` atau `last` (paling banyak 100).");
  });

  it("writes the payment webhook's refusals in the caller's language", async () => {
    const raw = JSON.stringify({
      reference: "R-1",
      paymentId: gid("Payment", 1),
      status: "SETTLED",
      amount: "1",
      currency: "IDR",
    });
    const signature = await signNotification(raw, "not-the-secret-of-briva-0123", new Date(TODAY));
    const response = await api.request("/webhooks/payments/BRIVA", {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": signature, "accept-language": "id" },
      body: raw,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: "INVALID_SIGNATURE", message: "Tanda tangan tidak cocok dengan isi pesan." },
    });
    const good = await signNotification("{", TEST_CHANNEL_SECRETS.BRIVA, new Date(TODAY));
    const notJson = await api.request("/webhooks/payments/BRIVA", {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": good, "accept-language": "id" },
      body: "{",
    });
    expect(await notJson.json()).toEqual({ error: { code: "MALFORMED_JSON", message: "Isi pesan bukan JSON." } });
  });

  it("writes a CSV upload's row errors and refusals in the caller's language", async () => {
    const sponsor = await givenSponsor(api.db, { name: "PT Bahasa" });
    const sponsorship = await givenSponsorship(api.db, sponsor.id);
    const upload = async (csv: string, key: string) => {
      const response = await api.request(
        `/sponsors/${gid("Sponsor", sponsor.id)}/enrollments.csv?sponsorshipId=${encodeURIComponent(gid("Sponsorship", sponsorship.id))}`,
        {
          method: "POST",
          headers: {
            "content-type": "text/csv",
            "idempotency-key": key,
            "accept-language": "id",
            ...(await bearer({ role: "ADMIN" })),
          },
          body: csv,
        },
      );
      return (await response.json()) as Record<string, unknown>;
    };
    const header = "nik;fullName;segment;occupation;ecosystem;villageCode;reportedMonthlyIncome;programs";
    const report = await upload(
      `${header}\n3171013208900001;Ani Lestari;BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;satu juta;"JKK;JKM"\n`,
      "bahasa-csv-1",
    );
    expect(report).toMatchObject({
      rejected: 1,
      rows: [
        {
          line: 2,
          status: "REJECTED",
          errors: expect.arrayContaining([
            {
              field: ["reportedMonthlyIncome"],
              code: "INVALID_INPUT",
              message: "Penghasilan per bulan ditulis dalam rupiah tanpa titik atau koma, misalnya 1500000.",
            },
            {
              field: ["nik"],
              code: "INVALID_NIK",
              message: "Tanggal lahir dalam NIK tidak valid. Periksa kembali 16 digit NIK Anda.",
            },
          ]),
        },
      ],
    });
    expect(await upload("nik;fullName\n1;2\n", "bahasa-csv-2")).toMatchObject({
      error: { code: "INVALID_CSV", message: expect.stringMatching(/^Kolom yang belum ada: segment/), line: 1 },
    });
  });

  it("writes a sponsor report's refusal in the caller's language", async () => {
    const response = await api.request(`/sponsors/${gid("Sponsor", 999999)}/workers.csv`, {
      headers: { ...(await bearer({ role: "SPONSOR", sponsorId: 1 })), "accept-language": "id" },
    });
    expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: "Sponsor tidak ditemukan." } });
  });
});
