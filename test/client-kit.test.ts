import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { buildSchema, print, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, documentId } from "../schema/client/client";
import type { ResultOf } from "../schema/client/graphql";
import { growthChart } from "../schema/client/growth-chart";
import {
  CoverageDashboard,
  CoverageHistory,
  ParticipantsPage,
  QuoteContribution,
  RegisterParticipant,
  trustedDocuments,
} from "../schema/client/operations";
import manifest from "../schema/client/persisted-operations.json";
import { formatRupiah, rupiahToBigInt } from "../schema/client/rupiah";
import { issueApiKey } from "../src/modules/credentials/api-keys";
import { closeCoverageMonth } from "../src/modules/dashboard/service";
import { bearer, startTestApi, type TestApi } from "./testkit/api";
import { month, monthKey } from "./testkit/dates";
import { givenParticipant } from "./testkit/fixtures";

/** The client kit in schema/client, as a frontend uses it: type-checked, registered, run against the API. */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.close());

const root = new URL("../", import.meta.url);

/** A client as a frontend builds one, sending through the test API instead of the network. */
function clientFor(headers: Record<string, string>, persisted = false) {
  return createClient({
    url: "http://api.test/graphql",
    headers,
    persisted,
    fetch: (input, init) => api.request(new URL(String(input)).pathname, init),
  });
}

describe("the client kit", () => {
  it("type-checks: tsc over schema/client (gql.tada types from schema/schema.graphql)", async () => {
    const tsc = new URL("node_modules/.bin/tsc", root).pathname;
    const { stdout } = await promisify(execFile)(tsc, ["--noEmit", "-p", "schema/client"], { cwd: root.pathname });
    expect(stdout).toBe("");
  }, 60_000);

  it("has documents valid against the schema, each registered in persisted-operations.json", async () => {
    const schema = buildSchema(await readFile(new URL("schema/schema.graphql", root), "utf8"));
    const registered = manifest as Record<string, string>;
    for (const [name, document] of Object.entries(trustedDocuments)) {
      expect(
        validate(schema, document).map((error) => error.message),
        name,
      ).toEqual([]);
      const text = print(document);
      const id = createHash("sha256").update(text).digest("hex");
      expect(registered[id], name).toBe(text);
      expect(await documentId(text)).toBe(id);
    }
    expect(Object.keys(registered)).toHaveLength(Object.keys(trustedDocuments).length);
  });

  it("turns Rupiah strings into bigint and Indonesian money", () => {
    expect(rupiahToBigInt("20700000")).toBe(20_700_000n);
    expect(formatRupiah("36800")).toBe("Rp\u00a036.800");
    expect(formatRupiah(9_007_199_254_740_993n)).toBe("Rp\u00a09.007.199.254.740.993");
    expect(() => rupiahToBigInt("36.800")).toThrow(RangeError);
  });

  it("runs the example operations: a quote, a registration with userErrors, cursor paging, the dashboard", async () => {
    // The JMO app: registered ids only, messages in Bahasa Indonesia.
    const app = clientFor({ ...(await bearer({ role: "ADMIN", clientId: "jmo" })), "accept-language": "id" }, true);

    const quote = await app(QuoteContribution, {
      input: { segment: "BPU", reportedMonthlyIncome: "1000000", programs: ["JKK", "JKM", "JHT"], months: 1 },
    });
    const priced: ResultOf<typeof QuoteContribution>["quoteContribution"] | undefined = quote.data?.quoteContribution;
    expect(priced?.userErrors).toEqual([]);
    expect(formatRupiah(priced?.quote?.total ?? "0")).toBe("Rp\u00a036.800");

    const input = {
      nik: "3171011708900001",
      fullName: "Siti Rahayu",
      segment: "BPU" as const,
      occupation: "Nelayan",
      ecosystem: "VILLAGE" as const,
      villageCode: "32.73.01.1001",
      reportedMonthlyIncome: "1500000",
      programs: ["JKK" as const, "JKM" as const],
    };
    const refused = await app(RegisterParticipant, { input: { ...input, nik: "3171013208900001" } });
    expect(refused.data?.registerParticipant.userErrors).toEqual([
      {
        field: ["input", "nik"],
        code: "INVALID_NIK",
        message: "Tanggal lahir dalam NIK tidak valid. Periksa kembali 16 digit NIK Anda.",
      },
    ]);
    const registered = await app(RegisterParticipant, { input });
    expect(registered.data?.registerParticipant).toMatchObject({ userErrors: [], participant: { status: "PENDING" } });

    await givenParticipant(api.db);
    const seen: string[] = [];
    const pageAfter = async (cursor: string | null) => (await app(ParticipantsPage, { first: 1, after: cursor })).data;
    let after: string | null = null;
    do {
      const connection: ResultOf<typeof ParticipantsPage>["participants"] | undefined = (await pageAfter(after))
        ?.participants;
      expect(connection?.totalCount).toBe(2);
      seen.push(...(connection?.nodes.map((node) => node.id) ?? []));
      after = connection?.pageInfo.hasNextPage ? (connection.pageInfo.endCursor ?? null) : null;
    } while (after);
    expect(new Set(seen).size).toBe(2);

    const dashboard = await app(CoverageDashboard, { regionCode: null, ecosystem: null });
    expect(dashboard.errors).toBeUndefined();
    expect(dashboard.data?.coverageDashboard).toMatchObject({ registered: 2, activeThisMonth: 0 });

    // The growth line into a chart's data: a kept month is a point, one not kept yet a gap.
    await closeCoverageMonth(api.db, month(-1), api.clock.now());
    const history = await app(CoverageHistory, {
      from: monthKey(-2),
      to: monthKey(-1),
      regionCode: null,
      ecosystem: null,
    });
    expect(history.errors).toBeUndefined();
    const chart = growthChart(history.data);
    expect(chart.labels).toEqual([monthKey(-2), monthKey(-1)]);
    expect(chart.active[0]).toBeNull();
    expect(typeof chart.active[1]).toBe("number");
    expect(chart.reconstructed).toEqual([]);
  });
});

describe("trusted documents", () => {
  const quoteInput = {
    input: {
      segment: "BPU" as const,
      reportedMonthlyIncome: "1000000",
      programs: ["JKK" as const, "JKM" as const],
      months: 1,
    },
  };

  it("refuses a document an app client wrote itself, in the caller's language", async () => {
    const app = clientFor({
      ...(await bearer({ role: "PARTICIPANT", participantId: 1, clientId: "jmo" })),
      "accept-language": "id",
    });
    const answer = await app(QuoteContribution, quoteInput);
    expect(answer.status).toBe(400);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]).toMatchObject({
      message: "Aplikasi ini hanya boleh mengirim operasi yang terdaftar: kirim documentId operasinya.",
      extensions: { code: "PERSISTED_QUERY_ONLY" },
    });
  });

  it("runs a registered document by id for an app client, by documentId or APQ's sha256Hash", async () => {
    const headers = await bearer({ role: "PARTICIPANT", participantId: 1, clientId: "jmo" });
    const app = clientFor(headers, true);
    expect((await app(QuoteContribution, quoteInput)).data?.quoteContribution.quote?.total).toBe("16800");
    const response = await api.graphqlRaw(
      {
        extensions: { persistedQuery: { version: 1, sha256Hash: await documentId(print(QuoteContribution)) } },
        variables: quoteInput,
      },
      headers,
    );
    expect(response.data).toEqual({ quoteContribution: expect.objectContaining({ userErrors: [] }) });
  });

  it("refuses an id nobody registered", async () => {
    const response = await api.graphqlRaw(
      { documentId: "0".repeat(64) },
      await bearer({ role: "PARTICIPANT", participantId: 1, clientId: "jmo" }),
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("still lets partners (API keys), other tokens and anonymous callers send their own documents", async () => {
    const partner = await issueApiKey(
      api.db,
      { name: "Bank Contoh", scopes: ["participants:read"], sponsorId: null },
      api.clock.now(),
    );
    for (const headers of [{ "x-api-key": partner.key }, await bearer({ role: "ADMIN" }), {}]) {
      const answer = await clientFor(headers)(QuoteContribution, quoteInput);
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.quoteContribution.quote?.total).toBe("16800");
    }
    // A token of a client that is not first-party is a tool, not the app.
    const tool = await clientFor(await bearer({ role: "ADMIN", clientId: "back-office-script" }))(
      QuoteContribution,
      quoteInput,
    );
    expect(tool.errors).toBeUndefined();
  });
});
