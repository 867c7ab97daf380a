import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, startTestApi, type TestApi } from "./testkit/api";
import { givenSponsor, givenSponsorship } from "./testkit/fixtures";

/** Sponsored enrollment files as Indonesian offices write them, through the HTTP endpoint. */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
let keys = 0;

async function upload(csv: string) {
  const sponsor = await givenSponsor(api.db, { name: `PT Berkas ${++keys}` });
  const sponsorship = await givenSponsorship(api.db, sponsor.id);
  const response = await api.request(
    `/sponsors/${gid("Sponsor", sponsor.id)}/enrollments.csv?sponsorshipId=${encodeURIComponent(gid("Sponsorship", sponsorship.id))}`,
    {
      method: "POST",
      headers: {
        "content-type": "text/csv",
        "idempotency-key": `enrollment-csv-${keys}`,
        ...(await bearer({ role: "ADMIN" })),
      },
      body: csv,
    },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const columns = "nik;fullName;segment;occupation;ecosystem;villageCode;reportedMonthlyIncome;programs";

describe("enrollment CSV files", () => {
  it("reads Excel's `;`-separated export with a byte-order mark and CRLF, reporting each row at its file line", async () => {
    const csv = `\ufeff${[
      columns,
      "3171016001900001;Sri Wahyuni;BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;1000000;JKK;JKM",
      "",
      '3171016001900002;"Dewi\nSartika";BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;1,5 juta;"JKK;JKM"',
      "3171016001900003;Rina;BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;1000000;JKK,JKM",
    ].join("\r\n")}\r\n`;
    // Row 2 has programs unquoted (`JKK;JKM` splits into an extra cell): the file is refused.
    const refused = await upload(csv);
    expect(refused).toEqual({
      status: 422,
      body: {
        error: { code: "INVALID_CSV", message: "This row has a different number of cells than the header", line: 2 },
      },
    });
    const fixed = csv.replace(";1000000;JKK;JKM\r\n", ';1000000;"JKK;JKM"\r\n');
    const { status, body } = await upload(fixed);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      created: 2,
      rejected: 1,
      rows: [
        { line: 2, status: "CREATED", errors: [] },
        {
          line: 4,
          status: "REJECTED",
          // The quoted name spans lines 4-5 of the file; the row is reported at line 4.
          errors: [
            { field: ["fullName"], code: "INVALID_INPUT", message: expect.stringMatching(/Full name/) },
            {
              field: ["reportedMonthlyIncome"],
              code: "INVALID_INPUT",
              message: "Reported monthly income must be whole rupiah, e.g. 1500000",
            },
          ],
        },
        { line: 6, status: "CREATED", errors: [] },
      ],
    });
  });

  it("refuses an unclosed quote at the line it opened, instead of merging the rows after it into one cell", async () => {
    const csv = [
      columns,
      '3171016001900011;"Budi Santoso;BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;1000000;"JKK;JKM"',
      '3171016001900012;Ani;BPU;Pemulung;VULNERABLE_WORKERS;32.73.01.1001;1000000;"JKK;JKM"',
    ].join("\n");
    const { status, body } = await upload(csv);
    expect(status).toBe(422);
    expect(body).toMatchObject({ error: { code: "INVALID_CSV", line: 2 } });
  });
});
