/** What each contender is asked, in its own dialect, for each load scenario. */
export interface LoadSpec {
  url: string;
  scenario: "page" | "byId" | "regionStatus" | "dashboard" | "dashboardProvince" | "workList" | "pay";
  /** `worker` and `worker-pooled` are this API under workerd: asked exactly what `api` is asked. */
  contender: "api" | "worker" | "worker-pooled" | "sql" | "postgraphile";
  connections: number;
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  token: string;
  participants: number;
  provinces: string[];
  activeFrom: string;
  /** Print `warmed` after the warm-up and wait for a line on stdin before measuring. */
  pauseAfterWarmup?: boolean;
}

const ECOSYSTEMS = ["VILLAGE", "MARKET", "ECOMMERCE", "UMKM", "VULNERABLE_WORKERS"];

const NODE_FIELDS = `id nik fullName paidThrough ecosystem { code name } region { code name } sponsor { id name }
  payments(first: 3) { nodes { id amount status coverageFrom } }`;
// PostGraphile's Amber preset names primary keys rowId (id is its global Node id).
const PG_NODE_FIELDS = `rowId nik fullName paidThrough ecosystemByEcosystemCode { code name } regionByVillageCode { code name }
  sponsorBySponsorId { rowId name } paymentsByParticipantId(first: 3, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { nodes { rowId amount status coverageFrom } }`;

function pick<T>(list: readonly T[], seed: number): T {
  return list[seed % list.length] as T;
}

function graphql(token: string, query: string, variables: Record<string, unknown>) {
  return {
    method: "POST" as const,
    path: "/graphql",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  };
}

export function requestFor(spec: LoadSpec, seed: number) {
  const ecosystem = pick(ECOSYSTEMS, seed);
  const id = 1 + (seed % spec.participants);
  const province = pick(spec.provinces, seed);
  switch (`${spec.scenario}:${spec.contender.startsWith("worker") ? "api" : spec.contender}`) {
    case "page:api":
      return graphql(
        spec.token,
        `query ($e: EcosystemCode) { participants(first: 100, filter: { ecosystem: $e }, orderBy: REGISTERED_AT_DESC) { nodes { ${NODE_FIELDS} } } }`,
        { e: ecosystem },
      );
    case "page:postgraphile":
      return graphql(
        spec.token,
        `query ($e: EcosystemCode) { allParticipants(first: 100, condition: { ecosystemCode: $e }, orderBy: [REGISTERED_AT_DESC, ROW_ID_DESC]) { nodes { ${PG_NODE_FIELDS} } } }`,
        { e: ecosystem },
      );
    case "page:sql":
      return { method: "GET" as const, path: `/page?ecosystem=${ecosystem}` };
    case "byId:api":
      return graphql(spec.token, `query ($id: ID!) { participant(id: $id) { ${NODE_FIELDS} } }`, {
        id: btoa(`Participant:${id}`),
      });
    case "byId:postgraphile":
      return graphql(spec.token, `query ($id: BigInt!) { participantByRowId(rowId: $id) { ${PG_NODE_FIELDS} } }`, {
        id: String(id),
      });
    case "byId:sql":
      return { method: "GET" as const, path: `/participant?id=${id}` };
    case "regionStatus:api":
      return graphql(
        spec.token,
        `query ($r: String) { participants(first: 100, filter: { regionCode: $r, status: ACTIVE }) { nodes { ${NODE_FIELDS} } } }`,
        { r: province },
      );
    case "regionStatus:sql":
      return { method: "GET" as const, path: `/region?region=${province}&from=${spec.activeFrom}` };
    case "dashboard:api":
      return graphql(
        spec.token,
        `{ coverageDashboard { registered active grace inactive target progress byEcosystem { key active } byRegion { key active } bySegment { key active } bySponsorProgram { key active } netGrowth } }`,
        {},
      );
    case "dashboardProvince:api":
      return graphql(
        spec.token,
        `query ($r: String) { coverageDashboard(regionCode: $r) { registered active grace inactive byEcosystem { key active } byRegion { key active } netGrowth } }`,
        { r: province },
      );
    case "workList:api":
      // An outreach officer's morning: who in their province falls due within a week, a page of 100.
      return graphql(
        spec.token,
        `query ($r: String) { outreachList(list: DUE_SOON, withinDays: 7, first: 100, filter: { regionCode: $r }) {
          totalCount nodes { id fullName phone nextDueDate status paidThrough } } }`,
        { r: province },
      );
    case "pay:api":
      return graphql(
        spec.token,
        `mutation ($input: PayContributionInput!) { payContribution(input: $input) { payment { id amount } userErrors { code } } }`,
        {
          input: {
            participantId: btoa(`Participant:${id}`),
            months: 1,
            channel: "BRIVA",
            idempotencyKey: `bench-${seed}-${Math.random().toString(36).slice(2)}`,
          },
        },
      );
    default:
      throw new Error(`no request for ${spec.scenario} on ${spec.contender}`);
  }
}
