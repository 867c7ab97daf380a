import { sql } from "drizzle-orm";
import { auditServer } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, dataOf, startTestApi, type TestApi } from "./testkit/api";
import { month } from "./testkit/dates";
import { givenParticipant, givenSettledPayment } from "./testkit/fixtures";

let api: TestApi;
let admin: Record<string, string>;

/** Row counts of every table: hostile input must leave them exactly as they were. */
async function snapshot() {
  const result = await api.db.execute(sql`
    select 'participants' as name, count(*)::text as rows from participants union all
    select 'payments', count(*)::text from payments union all
    select 'regions', count(*)::text from regions union all
    select 'sponsors', count(*)::text from sponsors union all
    select 'audit_log', count(*)::text from audit_log`);
  return (result as { rows: { name: string; rows: string }[] }).rows;
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await bearer({ role: "ADMIN" });
  const participant = await givenParticipant(api.db, { fullName: "Ani Lestari" });
  await givenSettledPayment(api.db, participant.id, month(-1));
});
afterAll(async () => api?.close());

async function post(body: BodyInit, headers: Record<string, string> = {}) {
  return api.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...admin, ...headers },
    body,
  });
}

describe("hostile input", () => {
  it("answers malformed JSON, a wrong content type and invalid UTF-8 with 4xx errors", async () => {
    const before = await snapshot();
    expect((await post('{"query": "{ viewer { role } }"')).status).toBe(400);
    expect((await post("{ viewer { role } }", { "content-type": "text/plain" })).status).toBeGreaterThanOrEqual(400);
    const invalidUtf8 = new Uint8Array([
      ...Buffer.from('{"query":"{ participants(first: 1, filter: { search: \\"'),
      0xff,
      0xfe,
      ...Buffer.from('\\" }) { totalCount } }"}'),
    ]);
    const response = await post(invalidUtf8);
    const body = (await response.json()) as { data?: { participants: { totalCount: number } }; errors?: unknown[] };
    // Either refused, or decoded with replacement characters and matching nothing: never a crash.
    expect(response.status < 500).toBe(true);
    expect(body.errors ?? body.data?.participants.totalCount === 0).toBeTruthy();
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a 10 MB body before reading it into GraphQL", async () => {
    const response = await post(
      JSON.stringify({ query: "{ viewer { role } }", padding: "x".repeat(10 * 1024 * 1024) }),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
  });

  it("refuses a query 50 levels deep", async () => {
    let selection = "fullName";
    for (let i = 0; i < 50; i++) selection = `registeredBy { ${selection} }`;
    const response = await api.graphql(`{ participants(first: 1) { nodes { ${selection} } } }`);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.message).toMatch(/depth limit|cost limit/i);
  });

  it("refuses 1,000 aliases", async () => {
    const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: viewer { role }`).join(" ");
    const response = await api.graphql(`{ ${aliases} }`);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.message).toMatch(/aliases limit|token limit/i);
  });

  it("refuses an unbounded or oversized page", async () => {
    const unbounded = await api.graphql("{ participants { totalCount } }");
    expect(unbounded.errors?.[0]).toMatchObject({
      message: "participants needs `first` or `last` (at most 100).",
      extensions: { code: "BAD_USER_INPUT" },
    });
    const oversized = await api.graphql("query ($n: Int) { payments(first: $n) { totalCount } }", { n: 5000 });
    expect(oversized.errors?.[0]?.message).toBe("payments pages hold 0 to 100 items; asked for 5000.");
    // The same document again (its connection fields are found once per document): each request's
    // own variables decide.
    const fitting = await api.graphql("query ($n: Int) { payments(first: $n) { totalCount } }", { n: 5 });
    expect(fitting.errors).toBeUndefined();
    const again = await api.graphql("query ($n: Int) { payments(first: $n) { totalCount } }", { n: 101 });
    expect(again.errors?.[0]?.message).toBe("payments pages hold 0 to 100 items; asked for 101.");
    const nested = await api.graphql("{ participants(first: 1) { nodes { payments(last: 101) { totalCount } } } }");
    expect(nested.errors?.[0]?.message).toMatch(/payments pages hold 0 to 100/);
  });

  it("treats SQL and script fragments in every string argument as data", async () => {
    const before = await snapshot();
    const fragments = [
      "'; drop table participants; --",
      "<script>alert(1)</script>",
      "\\' or 1=1 --",
      "%_%",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, meant literally
      "${jndi:ldap://x}",
      "\u0000",
    ];
    for (const fragment of fragments) {
      const search = await api.graphql<{ participants: { totalCount: number } }>(
        "query ($f: ParticipantFilter) { participants(first: 5, filter: $f) { totalCount } }",
        { f: { search: `${fragment}x` } },
      );
      if (search.errors) expect(search.errors[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
      else expect(search.data?.participants.totalCount).toBe(0);
      const region = await api.graphql(
        "query ($f: ParticipantFilter) { participants(first: 5, filter: $f) { totalCount } }",
        {
          f: { regionCode: fragment },
        },
      );
      expect(region.errors?.[0]?.message).toMatch(/Kemendagri|NUL character/);
      const channel = await api.graphql<{ payments: { totalCount: number } }>(
        "query ($f: PaymentFilter) { payments(first: 5, filter: $f) { totalCount } }",
        { f: { channel: fragment } },
      );
      if (channel.errors) expect(channel.errors[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
      else expect(channel.data?.payments.totalCount).toBe(0);
      for (const [query, variables] of [
        ["query ($c: String) { regions(parentCode: $c) { code } }", { c: fragment }],
        ["query ($c: String!) { region(code: $c) { code } }", { c: fragment }],
        ["query ($id: ID!) { participant(id: $id) { id } }", { id: fragment }],
        ["query ($id: ID!) { node(id: $id) { id } }", { id: fragment }],
        ["query ($id: ID!) { payment(id: $id) { id } }", { id: Buffer.from(`Payment:${fragment}`).toString("base64") }],
      ] as const) {
        const response = await api.graphql(query, variables);
        expect(response.errors?.[0]?.extensions?.code ?? "none").not.toBe("INTERNAL_SERVER_ERROR");
      }
    }
    expect(await snapshot()).toEqual(before);
    expect(
      dataOf(await api.graphql<{ participants: { totalCount: number } }>("{ participants(first: 1) { totalCount } }"))
        .participants.totalCount,
    ).toBe(1);
  });

  it("hides introspection and masks unexpected errors in production", async () => {
    const production = { ...api.env, ENVIRONMENT: "production" };
    const introspection = await api.app.request(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ query: "{ __schema { types { name } } }" }),
      },
      production,
    );
    const body = (await introspection.json()) as { errors?: { message: string }[] };
    expect(body.errors?.[0]?.message).toMatch(/introspection/i);
    const broken = await api.app.request(
      "/graphql",
      {
        method: "POST",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ query: "{ participants(first: 1) { totalCount } }" }),
      },
      { ...production, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" },
    );
    const masked = (await broken.json()) as {
      errors: { message: string; extensions: { code: string; requestId: string } }[];
    };
    // No Accept-Language: the default language (id) speaks.
    expect(masked.errors[0]).toMatchObject({
      message: "Terjadi kesalahan pada sistem kami. Silakan coba lagi nanti.",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    expect(masked.errors[0]?.extensions.requestId).toBe(broken.headers.get("x-request-id"));
    expect(JSON.stringify(masked)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|select/i);
  });
});

describe("GraphQL over HTTP compliance", () => {
  it("passes every MUST of the graphql-http audit", async () => {
    const results = await auditServer({
      url: "http://localhost/graphql",
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) =>
        api.app.request(new Request(input, init), undefined, api.env),
    });
    const failedMusts = results.filter((result) => result.name.startsWith("MUST") && result.status !== "ok");
    expect(failedMusts.map((r) => `${r.name}: ${"reason" in r ? r.reason : ""}`)).toEqual([]);
    expect(results.filter((r) => r.name.startsWith("MUST")).length).toBeGreaterThan(10);
  });
});
