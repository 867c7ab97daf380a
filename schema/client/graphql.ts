/**
 * The typed `graphql()` for this API (gql.tada): documents written with it are checked against
 * `schema/schema.graphql` by TypeScript, and their results and variables are typed. Custom scalars
 * arrive as JSON strings; see `rupiah.ts` for money.
 */
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./graphql-env";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: {
    /** Whole rupiah as a digit string, e.g. "36800": `rupiahToBigInt`, `formatRupiah`. */
    Rupiah: string;
    /** `YYYY-MM-DD` */
    Date: string;
    /** RFC 3339 instant, answered in UTC: `2026-11-25T08:00:00.000Z` */
    DateTime: string;
    /** `YYYY-MM` */
    Month: string;
    ID: string;
  };
}>();

export type { FragmentOf, ResultOf, TadaDocumentNode, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";
