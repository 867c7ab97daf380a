import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import registered from "../../schema/client/persisted-operations.json";
import type { Context } from "../context";
import { mustUseTrustedDocuments } from "../modules/access/rules";
import { say } from "../shared/messages";

/**
 * The registered documents (id → text), generated from the client kit at build time. A Map, not the
 * JSON object: the id is the caller's text, and `__proto__` or `toString` must name nothing.
 */
const trustedDocuments: ReadonlyMap<string, string> = new Map(Object.entries(registered));

function refusal(code: "PERSISTED_QUERY_ONLY" | "PERSISTED_QUERY_NOT_FOUND") {
  return new GraphQLError(say(code), { extensions: { code, http: { status: 400 } } });
}

/**
 * The id a request names: `documentId` (GraphQL over HTTP's persisted documents) or Apollo's
 * `extensions.persistedQuery.sha256Hash` (what urql's and Apollo's persisted-query links send).
 */
function documentIdOf(params: object): string | null {
  const { documentId, extensions } = params as { documentId?: unknown; extensions?: unknown };
  if (typeof documentId === "string") return documentId;
  const persisted = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  return persisted?.version === 1 && typeof persisted.sha256Hash === "string" ? persisted.sha256Hash : null;
}

/**
 * Trusted documents: a first-party app (`mustUseTrustedDocuments`) sends the id of an operation
 * registered at build time, never a document of its own; anyone may run a registered operation by
 * id; partners and tools may still send documents.
 */
export function useTrustedDocuments(): Plugin<Context>[] {
  return [
    {
      // Before the persisted-operations plugin replaces an id by its text: `query` is the caller's own.
      onParams({ params, context }) {
        // Yoga types onParams' context as the server context it was handed: ours (see app.ts).
        const { viewer, env } = context as Context;
        if (params.query && mustUseTrustedDocuments(viewer, env.firstPartyClients)) {
          throw refusal("PERSISTED_QUERY_ONLY");
        }
      },
    },
    usePersistedOperations<Context>({
      allowArbitraryOperations: true,
      extractPersistedOperationId: documentIdOf,
      getPersistedOperation: (id) => trustedDocuments.get(id) ?? null,
      customErrors: {
        notFound: () => refusal("PERSISTED_QUERY_NOT_FOUND"),
        keyNotFound: () => refusal("PERSISTED_QUERY_NOT_FOUND"),
        persistedQueryOnly: () => refusal("PERSISTED_QUERY_ONLY"),
      },
    }),
  ];
}
