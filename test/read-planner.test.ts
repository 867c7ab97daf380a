import fc from "fast-check";
import {
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  getNamedType,
  isEnumType,
  isLeafType,
  isObjectType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenClaims } from "../src/modules/credentials/tokens";
import { planOf } from "../src/read-plan/field-plan";
import { readPlanStatistics } from "../src/read-plan/plugin";
import { schema } from "../src/schema";
import { bearer, startTestApi, type TestApi } from "./testkit/api";
import { dateIn, lastDateOf, month } from "./testkit/dates";
import { givenParticipant, givenSettledPayment, givenSponsor } from "./testkit/fixtures";

/**
 * The read planner answers a query with one SQL statement; the executor answers the same query
 * field by field. For every selection and every caller, the two answers must be the same bytes.
 */

let api: TestApi;
const ids = { participants: [] as number[], sponsors: [] as number[] };
/** Real cursors of every ordering and of payments, for `after`/`before`. */
const cursors: Record<string, string[]> = {};
const viewers: { name: string; headers: Record<string, string> }[] = [];

/** Type names as the schema has them (connection types may be renamed; the tests follow). */
function typeAt(typeName: string, field: string): string {
  const type = schema.getType(typeName) as GraphQLObjectType;
  const found = type.getFields()[field];
  if (!found) throw new Error(`${typeName}.${field} is not in the schema`);
  return getNamedType(found.type).name;
}
const queryName = schema.getQueryType()?.name ?? "Query";
const types = (() => {
  const participants = typeAt(queryName, "participants");
  const participantEdge = typeAt(participants, "edges");
  const participant = typeAt(participantEdge, "node");
  const payments = typeAt(participant, "payments");
  const paymentEdge = typeAt(payments, "edges");
  return {
    participants,
    participantEdge,
    participant,
    payments,
    paymentEdge,
    payment: typeAt(paymentEdge, "node"),
    contributionLine: typeAt(typeAt(paymentEdge, "node"), "lines"),
    pageInfo: typeAt(participants, "pageInfo"),
    sponsor: typeAt(participant, "sponsor"),
    region: typeAt(participant, "region"),
    ecosystem: typeAt(participant, "ecosystem"),
  };
})();

const globalId = (type: string, id: number) => btoa(`${type}:${id}`);

beforeAll(async () => {
  api = await startTestApi(); // today is TODAY: every date below is relative to its month
  const sponsorA = await givenSponsor(api.db, { name: "PT Sejahtera Nusantara" });
  const sponsorB = await givenSponsor(api.db, { name: "Yayasan Peduli", kind: "NGO", contactEmail: "a@b.id" });
  ids.sponsors.push(sponsorA.id, sponsorB.id);
  const villages = ["31.71.01.1001", "31.71.01.1002", "31.71.02.1001", "32.73.01.1001"];
  const ecosystems = ["VILLAGE", "MARKET", "ECOMMERCE", "UMKM", "VULNERABLE_WORKERS"] as const;
  const paidThrough = [null, month(0), month(1), month(-1), month(-2), month(-3), month(-22)];
  const names = ["Ani Lestari", "Budi Santoso", "Citra Dewi", "Ani Lestari", 'Dedi "Dede" Kurnia', "Éka Putri"];
  for (let i = 0; i < 14; i++) {
    const row = await givenParticipant(api.db, {
      fullName: names[i % names.length] as string,
      villageCode: villages[i % villages.length] as string,
      ecosystemCode: ecosystems[i % ecosystems.length] as (typeof ecosystems)[number],
      segment: i % 5 === 4 ? "PU" : "BPU",
      sponsorId: i % 3 === 0 ? sponsorA.id : i % 3 === 1 ? sponsorB.id : null,
      phone: i % 4 === 3 ? null : `+62812345678${String(i).padStart(2, "0")}`,
      paidThrough: paidThrough[i % paidThrough.length] ?? null,
      // Two participants share each registration instant: the id breaks the tie in cursors. Ten to
      // four months ago, at 10:00 WIB with microseconds.
      registeredAt: `${dateIn(-10 + (Math.floor(i / 2) % 9), 10 + (i % 10))}T03:00:00.${String(123456 + i * 7).slice(0, 6)}Z`,
      registeredById: i >= 6 ? (ids.participants[i % 3] ?? null) : null,
      registeredBySubject: i % 5 === 2 ? "test-partner" : null,
    });
    ids.participants.push(row.id);
    // Payments for the months from eight months ago, each created on that month's 5th.
    for (let m = 0; m < i % 6; m++) {
      await givenSettledPayment(api.db, row.id, month(m - 8), {
        ...(m % 2 ? { payer: "SPONSOR" as const, payerSponsorId: sponsorA.id } : {}),
        // Some payments of a participant share their creation instant.
        createdAt: `${dateIn(m - 8, 5)}T02:00:00.${m === 2 ? "5" : "987654"}Z`,
        ...(m === 3
          ? { status: "REFUNDED" as const, refundedAt: `${month(m - 7)}T01:02:03.456789Z`, refundedAmount: 0n }
          : {}),
        externalReference: m === 1 ? `REF-${i}` : null,
      });
    }
  }
  const [first, , , fourth, fifth] = ids.participants as [number, number, number, number, number];
  const claims: [string, Partial<TokenClaims> & { role: TokenClaims["role"] }][] = [
    ["admin", { role: "ADMIN" }],
    ["officer 31.71", { role: "OFFICER", region: "31.71" }],
    ["officer 31.71 with pii:read", { role: "OFFICER", region: "31.71", scopes: ["pii:read"] }],
    ["officer of a village", { role: "OFFICER", region: "31.71.01.1001" }],
    ["officer 32", { role: "OFFICER", region: "32" }],
    ["sponsor A", { role: "SPONSOR", sponsorId: sponsorA.id }],
    ["sponsor B with pii:read", { role: "SPONSOR", sponsorId: sponsorB.id, scopes: ["pii:read"] }],
    ["participant", { role: "PARTICIPANT", participantId: first }],
    ["participant registrant", { role: "PARTICIPANT", participantId: fourth, subject: "test-participant-4" }],
    ["participant with pii:read", { role: "PARTICIPANT", participantId: fifth, scopes: ["pii:read"] }],
    ["partner reading participants", { role: "PARTNER", scopes: ["participants:read"] }],
    ["partner registrant", { role: "PARTNER", scopes: ["participants:register"] }],
    ["partner of sponsor A", { role: "PARTNER", sponsorId: sponsorA.id, scopes: ["sponsors:read"] }],
    ["payments back office", { role: "PARTNER", scopes: ["payments:read", "pii:read"] }],
  ];
  for (const [name, claim] of claims) viewers.push({ name, headers: await bearer(claim) });
  viewers.push({ name: "anonymous", headers: {} });

  const admin = await bearer({ role: "ADMIN" });
  for (const orderBy of ORDERINGS) {
    const text = await api.graphqlText(
      `{ participants(first: 100, orderBy: ${orderBy}) { edges { cursor } } }`,
      {},
      admin,
    );
    cursors[orderBy] = (
      JSON.parse(text) as { data: { participants: { edges: { cursor: string }[] } } }
    ).data.participants.edges.map((edge) => edge.cursor);
  }
  const payments = await api.graphqlText(
    `{ participants(first: 100) { nodes { payments(first: 10) { edges { cursor } } } } }`,
    {},
    admin,
  );
  cursors.payments = (
    JSON.parse(payments) as { data: { participants: { nodes: { payments: { edges: { cursor: string }[] } }[] } } }
  ).data.participants.nodes.flatMap((node) => node.payments.edges.map((edge) => edge.cursor));
});

afterAll(async () => {
  await api.close();
});

// ---- what the schema offers: orderings, filters and planned fields, read from the built schema ----

const queryFields = schema.getQueryType()?.getFields() ?? {};

function argumentType(field: string, argument: string) {
  const found = queryFields[field]?.args.find((arg) => arg.name === argument);
  if (!found) throw new Error(`Query.${field}(${argument}) is not in the schema`);
  return getNamedType(found.type);
}

/** Every value of the participants' ordering enum: a new value is drawn (and compared) at once. */
const ORDERINGS = (() => {
  const type = argumentType("participants", "orderBy");
  if (!isEnumType(type)) throw new Error("orderBy is not an enum");
  return type.getValues().map((value) => value.name);
})();

/**
 * The planned leaf fields of a type, as its declarations say: a field added with a plan is drawn
 * at once; an executor-only one is not (it would send the operation to the executor).
 */
function plannedLeaves(typeName: string): string[] {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
  const leaves = Object.values(type.getFields()).filter((field) => {
    if (!isLeafType(getNamedType(field.type))) return false;
    const isNodeId = field.name === "id" && type.getInterfaces().some((i) => i.name === "Node");
    return isNodeId || planOf(field)?.kind === "scalar";
  });
  return [...leaves.map((field) => field.name), "__typename"];
}

/**
 * Values for a filter input's non-enum fields, valid and (weight 1) refused by the field's
 * validation. Enum fields draw their values from the schema; a new field without values here
 * fails the test (so it is compared too).
 */
const filterExamples: Record<string, Record<string, string[]>> = {
  ParticipantFilter: {
    regionCode: ['"31.71"', '"31.71.01.1001"', '"3"', '"nowhere"'],
    search: ['"ani"', '"0003"', '"a"'],
    sponsorId: ["SPONSOR_A", '"bm90IGEgY3Vyc29y"'],
    registeredFrom: [`"${month(-8)}"`],
    registeredTo: [`"${lastDateOf(-5)}"`],
  },
  PaymentFilter: {
    channel: ['"BRIVA"', '"SPONSOR_BUDGET"'],
    participantId: ["PARTICIPANT_1"],
    payerSponsorId: ["SPONSOR_A"],
    createdFrom: [`"${month(-6)}"`],
    createdTo: [`"${lastDateOf(-3)}"`],
  },
};

/** `filter: { … }` of up to two of the input type's fields, or nothing. */
function filterOf(field: string): fc.Arbitrary<string> {
  const input = argumentType(field, "filter") as GraphQLInputObjectType;
  const examples = filterExamples[input.name] ?? {};
  const entries = Object.values(input.getFields()).map((inputField) => {
    const type = getNamedType(inputField.type);
    const values = isEnumType(type) ? type.getValues().map((value) => value.name) : examples[inputField.name];
    if (!values?.length) throw new Error(`${input.name}.${inputField.name}: give the test values to filter by`);
    return fc.constantFrom(...values).map((value) => `${inputField.name}: ${value}`);
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant("") },
    {
      weight: 3,
      arbitrary: fc
        .subarray(entries, { minLength: 1, maxLength: 2 })
        .chain((picked) => fc.tuple(...picked))
        .map((parts) =>
          `filter: { ${parts.join(", ")} }`
            .replace("SPONSOR_A", `"${globalId(types.sponsor, ids.sponsors[0] ?? 1)}"`)
            .replace("PARTICIPANT_1", `"${globalId(types.participant, ids.participants[0] ?? 1)}"`),
        ),
    },
  );
}

/**
 * Request ids differ between two requests by design; everything else must not. A planned answer
 * is PostgreSQL's JSON text, spaced as PostgreSQL spaces it: read back and written compactly it
 * must be the executor's bytes (the same values in the same order). Answers with errors come from
 * the executor both times (the planner never writes errors), and the executor orders errors of
 * sibling fields as they happen to finish: those are compared as a set.
 */
function comparable(body: string): string {
  const text = body.replace(/"requestId" ?: ?"[^"]*"/g, '"requestId":"…"');
  const parsed = JSON.parse(text) as { errors?: unknown[] };
  if (!parsed.errors) return JSON.stringify(parsed);
  const errors = parsed.errors.map((error) => JSON.stringify(error)).sort();
  return JSON.stringify({ ...parsed, errors });
}

/** Asks both ways; returns the planned body and how many statements the planned request sent. */
async function both(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const logged = api.logs.length;
  const planned = await api.graphqlText(query, variables, headers);
  // The request's own count from its operation log: background work of earlier requests (refusal
  // audits) may run meanwhile.
  const operation = api.logs.slice(logged).find((entry) => entry.event === "graphql.operation");
  const statements = operation ? Number(operation.statements) : 0;
  const executor = await api.graphqlText(query, variables, headers, false);
  return { planned: comparable(planned), executor: comparable(executor), statements, plannedBody: planned };
}

// ---- random selections ---------------------------------------------------------------------

/** A selection: its text, and the fragment definitions it spreads. */
type Selection = { text: string; fragments: string[] };

const combine = (parts: Selection[]): Selection => ({
  text: parts.map((part) => part.text).join(" "),
  fragments: parts.flatMap((part) => part.fragments),
});

let fragmentSerial = 0;

/** Wraps a selection in nothing, an inline fragment, a named fragment, or a directive. */
function wrapped(type: string, inner: fc.Arbitrary<Selection>): fc.Arbitrary<Selection> {
  return fc
    .tuple(inner, fc.constantFrom("plain", "plain", "inline", "named", "include", "skip"))
    .map(([selection, how]) => {
      switch (how) {
        case "inline":
          return { text: `... on ${type} { ${selection.text} }`, fragments: selection.fragments };
        case "named": {
          fragmentSerial += 1;
          const name = `F${fragmentSerial}`;
          return {
            text: `...${name}`,
            fragments: [...selection.fragments, `fragment ${name} on ${type} { ${selection.text} }`],
          };
        }
        case "include":
          return { text: `... @include(if: $yes) { ${selection.text} }`, fragments: selection.fragments };
        case "skip":
          return { text: `... @skip(if: $yes) { __typename }  ${selection.text}`, fragments: selection.fragments };
        default:
          return selection;
      }
    });
}

// Rare, so that random documents stay under the alias limit (20) most of the time.
const aliasOf = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 12 },
  { arbitrary: fc.constantFrom("a", "b", "other"), weight: 1 },
);

function fieldsOf(type: string, choices: fc.Arbitrary<Selection>[]): fc.Arbitrary<Selection> {
  return wrapped(
    type,
    fc
      .subarray(choices, { minLength: 1 })
      .chain((picked) => fc.tuple(...picked))
      .map(combine),
  );
}

function scalar(name: string): fc.Arbitrary<Selection> {
  return aliasOf.map((alias) => ({ text: alias ? `${alias}${name}: ${name}` : name, fragments: [] }));
}

function object(name: string, args: string, inner: fc.Arbitrary<Selection>): fc.Arbitrary<Selection> {
  return fc.tuple(aliasOf, inner).map(([alias, selection]) => ({
    text: `${alias ? `${alias}${name}: ` : ""}${name}${args} { ${selection.text} }`,
    fragments: selection.fragments,
  }));
}

const region = (depth: number): fc.Arbitrary<Selection> =>
  fieldsOf(types.region, [
    ...plannedLeaves(types.region).map(scalar),
    ...(depth > 0 ? [object("parent", "", region(depth - 1))] : []),
  ]);

const sponsor = fieldsOf(types.sponsor, plannedLeaves(types.sponsor).map(scalar));

const payment = fieldsOf(types.payment, [
  ...plannedLeaves(types.payment).map(scalar),
  object("payerSponsor", "", sponsor),
  object("lines", "", fieldsOf(types.contributionLine, plannedLeaves(types.contributionLine).map(scalar))),
  object("participant", "", fieldsOf(types.participant, ["id", "fullName", "nik"].map(scalar))),
]);

/** Page arguments: first or last, sometimes a real (or a broken) cursor. */
function pageArguments(cursorList: () => string[], extra: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom("first", "first", "last"),
      fc.integer({ min: 0, max: 6 }),
      fc.option(fc.tuple(fc.constantFrom("after", "before"), fc.nat()), { nil: undefined }),
      fc.nat(9).map((n) => n === 0),
      extra,
    )
    .map(([size, count, paging, broken, more]) => {
      const args = [`${size}: ${count}`];
      if (paging) {
        const list = cursorList();
        const chosen = broken ? "bm90IGEgY3Vyc29y" : (list[paging[1] % Math.max(list.length, 1)] ?? "");
        args.push(`${paging[0]}: "${chosen}"`);
      }
      if (more) args.push(more);
      return `(${args.join(", ")})`;
    });
}

function connection(type: string, edgeType: string, node: fc.Arbitrary<Selection>): fc.Arbitrary<Selection> {
  return fieldsOf(type, [
    scalar("totalCount"),
    scalar("__typename"),
    object("nodes", "", node),
    object("edges", "", fieldsOf(edgeType, [scalar("cursor"), scalar("__typename"), object("node", "", node)])),
    object(
      "pageInfo",
      "",
      fieldsOf(
        types.pageInfo,
        ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"].map(scalar),
      ),
    ),
  ]);
}

const paymentFilter = filterOf("payments");

const participant = (depth: number): fc.Arbitrary<Selection> =>
  fieldsOf(types.participant, [
    ...plannedLeaves(types.participant).map(scalar),
    object("ecosystem", "", fieldsOf(types.ecosystem, plannedLeaves(types.ecosystem).map(scalar))),
    object("region", "", region(1)),
    object("sponsor", "", sponsor),
    ...(depth > 0
      ? [
          object("registeredBy", "", participant(depth - 1)),
          pageArguments(() => cursors.payments ?? [], paymentFilter).chain((args) =>
            object("payments", args, connection(types.payments, types.paymentEdge, payment)),
          ),
        ]
      : []),
  ]);

const participantFilter = filterOf("participants");

const rootField = fc.oneof(
  fc
    .tuple(fc.constantFrom(...ORDERINGS), participantFilter)
    .chain(([orderBy, filter]) =>
      pageArguments(
        () => cursors[orderBy] ?? [],
        fc.constant([`orderBy: ${orderBy}`, filter].filter(Boolean).join(", ")),
      ).chain((args) =>
        object("participants", args, connection(types.participants, types.participantEdge, participant(1))),
      ),
    ),
  fc.tuple(fc.nat(), fc.boolean()).chain(([index, asVariable]) => {
    const id = globalId(types.participant, ids.participants[index % ids.participants.length] as number);
    return object("participant", asVariable ? "(id: $id)" : `(id: "${id}")`, participant(1)).map((selection) => ({
      ...selection,
      id,
    }));
  }),
);

const paymentRoots = fc.oneof(
  pageArguments(() => cursors.payments ?? [], paymentFilter).chain((args) =>
    object(
      "payments",
      args,
      connection(typeAt(queryName, "payments"), typeAt(typeAt(queryName, "payments"), "edges"), payment),
    ),
  ),
  fc.nat().chain((index) => object("payment", `(id: "${globalId(types.payment, 1 + (index % 30))}")`, payment)),
  fc
    .nat()
    .chain((index) => object("sponsor", `(id: "${globalId(types.sponsor, ids.sponsors[index % 2] ?? 1)}")`, sponsor)),
);

const operation = fc
  .tuple(
    fc.array(fc.oneof({ arbitrary: rootField, weight: 3 }, { arbitrary: paymentRoots, weight: 1 }), {
      minLength: 1,
      maxLength: 2,
    }),
    fc.boolean(),
  )
  .map(([roots, yes]) => {
    // Two root fields of one name with other arguments would conflict: each gets its own key.
    const selection = combine(
      roots.length > 1
        ? roots.map((root, i) => ({ ...root, text: `r${i}: ${root.text.replace(/^\w+: /, "")}` }))
        : roots,
    );
    const id =
      roots.map((root) => (root as Selection & { id?: string }).id).find(Boolean) ?? globalId(types.participant, 1);
    const body = `${selection.text}\n${selection.fragments.join("\n")}`;
    // Only the variables the selection uses: an unused one is a validation error.
    const declared = [body.includes("$yes") ? "$yes: Boolean!" : "", body.includes("$id") ? "$id: ID!" : ""].filter(
      Boolean,
    );
    return {
      query: `query Random${declared.length ? `(${declared.join(", ")})` : ""} { ${selection.text} }\n${selection.fragments.join("\n")}`,
      variables: { ...(body.includes("$yes") ? { yes } : {}), ...(body.includes("$id") ? { id } : {}) },
    };
  });

describe("the read planner", () => {
  it("answers random selections, for every kind of caller, with the executor's JSON and one statement", {
    timeout: 180_000,
  }, async () => {
    const outcomes = { planned: 0, executor: 0 };
    await fc.assert(
      fc.asyncProperty(operation, fc.nat(), async ({ query, variables }, who) => {
        const viewer = viewers[who % viewers.length] as (typeof viewers)[number];
        const answeredBefore = readPlanStatistics().answered;
        const { planned, executor, statements } = await both(query, variables, viewer.headers);
        expect(planned, `${viewer.name}\n${query}`).toBe(executor);
        if (readPlanStatistics().answered > answeredBefore) {
          outcomes.planned += 1;
          expect(statements, `${viewer.name}\n${query}`).toBe(1);
        } else {
          outcomes.executor += 1;
          // The executor only answers what the planner leaves: errors (a hidden neighbour, a bad
          // cursor or argument, a limit) or an invalid cursor the executor never reads.
          expect(planned.includes('"errors"') || query.includes("bm90IGEgY3Vyc29y"), `${viewer.name}\n${query}`).toBe(
            true,
          );
        }
      }),
      { numRuns: 200 },
    );
    // Hidden neighbours, bad cursors, limits and executor-only fields (now drawn from the schema)
    // fall back by design: about two runs in three, varying with the seed (58 planned of 200 in one
    // run). A planner that stopped answering would plan none; 40 leaves the seed room.
    expect(outcomes.planned, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(40);
  });

  it("answers the benchmark's page of 100 (ecosystem, region, sponsor, last 3 payments) in one statement", async () => {
    const query = `query ($e: EcosystemCode) { participants(first: 100, filter: { ecosystem: $e }, orderBy: REGISTERED_AT_DESC) {
      nodes { id nik fullName paidThrough ecosystem { code name } region { code name } sponsor { id name }
        payments(first: 3) { nodes { id amount status coverageFrom } } } } }`;
    for (const viewer of viewers) {
      const { planned, executor, statements } = await both(query, { e: "UMKM" }, viewer.headers);
      expect(planned, viewer.name).toBe(executor);
      if (viewer.name !== "anonymous" && !planned.includes('"errors"')) expect(statements, viewer.name).toBe(1);
    }
    const admin = viewers[0] as (typeof viewers)[number];
    const { planned, plannedBody } = await both(query, { e: "UMKM" }, admin.headers);
    // The statement's JSON text itself went out (PostgreSQL's spacing), not a parse re-stringified.
    expect(plannedBody.startsWith('{"data":{"participants" : {"nodes" : [{"id" : ')).toBe(true);
    const nodes = (JSON.parse(planned) as { data: { participants: { nodes: { payments: { nodes: unknown[] } }[] } } })
      .data.participants.nodes;
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.some((node) => node.payments.nodes.length === 3)).toBe(true);
  });

  it("leaves a participant the caller may not see to the executor: null with one FORBIDDEN error", async () => {
    const sponsorB = viewers.find((viewer) => viewer.name === "sponsor B with pii:read") as (typeof viewers)[number];
    const hidden = globalId(types.participant, ids.participants[0] as number); // sponsored by A
    const query = `query ($id: ID!) { participant(id: $id) { id fullName } }`;
    const { planned, executor } = await both(query, { id: hidden }, sponsorB.headers);
    expect(planned).toBe(executor);
    const body = JSON.parse(planned) as { data: { participant: null }; errors: string[] };
    expect(body.data.participant).toBeNull();
    expect(body.errors.map((error) => (JSON.parse(error) as { extensions: { code: string } }).extensions.code)).toEqual(
      ["FORBIDDEN"],
    );
  });

  it("leaves fields it does not plan, and mutations, to the executor unchanged", async () => {
    const admin = viewers[0] as (typeof viewers)[number];
    const unplanned = `{ participants(first: 3) { nodes { fullName monthsInArrears nextDueDate } } }`;
    const { planned, executor, statements } = await both(unplanned, {}, admin.headers);
    expect(planned).toBe(executor);
    expect(JSON.parse(planned).data.participants.nodes).toHaveLength(3);
    expect(statements).toBeGreaterThanOrEqual(1);
    const mutation = `mutation { createSponsor(input: { name: "", kind: COMPANY, program: CSR }) { userErrors { code } } }`;
    const answered = await both(mutation, {}, admin.headers);
    expect(answered.planned).toBe(answered.executor);
    // Nothing to read: the executor answers `__typename` alone without the database.
    const probe = await both(`{ __typename }`, {}, admin.headers);
    expect(probe.planned).toBe(`{"data":{"__typename":"Query"}}`);
    expect(probe.statements).toBe(0);
  });

  it("plans a repeated operation once: later requests only bind their values", async () => {
    const admin = viewers[0] as (typeof viewers)[number];
    const query = `query Repeated($e: EcosystemCode) { participants(first: 5, filter: { ecosystem: $e }) { totalCount nodes { fullName } } }`;
    await api.graphqlText(query, { e: "MARKET" }, admin.headers);
    const before = readPlanStatistics();
    for (const e of ["VILLAGE", "UMKM", "MARKET"]) {
      const { planned, executor, statements } = await both(query, { e }, admin.headers);
      expect(planned).toBe(executor);
      expect(statements).toBe(1);
    }
    const after = readPlanStatistics();
    expect(after.compiled).toBe(before.compiled);
    expect(after.reused).toBe(before.reused + 3);
  });

  it("counts its statement in the operation log like any other", async () => {
    const officer = viewers[1] as (typeof viewers)[number];
    api.logs.length = 0;
    await api.graphqlText(`query Logged { participants(first: 2) { nodes { id } } }`, {}, officer.headers);
    expect(api.logs).toContainEqual(
      expect.objectContaining({
        event: "graphql.operation",
        operationName: "Logged",
        operationType: "query",
        statements: 1,
      }),
    );
  });
});
