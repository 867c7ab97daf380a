/**
 * A minimal typed client over `fetch`: the result and variables types come from the document. The
 * first-party apps send a registered document's id instead of its text (`persisted: true`); use
 * urql or any GraphQL client the same way (its persisted-operations exchange sends the same id).
 */
import { print } from "graphql";
import type { TadaDocumentNode } from "./graphql";

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; requestId?: string; [key: string]: unknown };
}

export interface ClientOptions {
  url: string;
  /** `authorization`, `x-api-key`, and `accept-language` (`id` or `en`) for messages. */
  headers?: Record<string, string>;
  /** Send the document's id (sha256 of its text) instead of its text: required for first-party apps. */
  persisted?: boolean;
  fetch?: typeof fetch;
}

/** The id a document is registered under: the hex SHA-256 of its printed text. */
export async function documentId(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function createClient(options: ClientOptions) {
  const send = options.fetch ?? fetch;
  return async function execute<Result, Variables>(
    document: TadaDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<{ data?: Result | null; errors?: GraphQLError[]; status: number }> {
    const text = print(document);
    const body = options.persisted
      ? { documentId: await documentId(text), variables }
      : { query: text, variables };
    const response = await send(options.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...options.headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, ...((await response.json()) as { data?: Result | null; errors?: GraphQLError[] }) };
  };
}
