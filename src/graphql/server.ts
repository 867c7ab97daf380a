import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import { createYoga, type GraphiQLOptions, maskError, renderGraphiQL } from "graphql-yoga";
import type { Context } from "../context";
import type { AppEnv } from "../env";
import { useReadPlanner } from "../read-plan/plugin";
import { schema } from "../schema";
import { say } from "../shared/messages";
import { currentRequestId } from "../shared/request-scope";
import {
  useConnectionLimits,
  useCursorRefusals,
  useNulCharacterGuard,
  useProductionIntrospectionBlock,
} from "./limits";
import { useOperationLog } from "./log";
import { useRefusalAudit } from "./refusal-audit";
import { useTrustedDocuments } from "./trusted-documents";

/** What the Hono handler hands to Yoga for one request; Yoga passes it on as the GraphQL context. */
export type ServerContext = Context;

/**
 * Yoga for an environment. The schema is built once at module load; Yoga is created on an
 * isolate's first request (bindings, and so the environment, are fixed for its lifetime).
 * Expected errors (bad input, not found, auth) keep their message and code; anything else is
 * logged with the request id and answered as a masked INTERNAL_SERVER_ERROR carrying that id.
 */
function createServer(environment: AppEnv["environment"]) {
  // Limits are stated in development and test errors, never in production ones.
  const exposeLimits = environment !== "production";
  return createYoga<ServerContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // CORS is answered by the Hono app from its allowlist (CORS_ALLOWED_ORIGINS), never reflected here.
    cors: false,
    graphiql: (_request, context) => {
      if (context.env.environment !== "development") return false;
      const options: GraphiQLWithAssets = {
        title: "kepesertaan",
        headers: JSON.stringify({ Authorization: "Bearer <npm run -s token -- --role ADMIN>" }, null, 2),
        assetsUrl: context.env.graphiqlAssetsUrl,
      };
      return options;
    },
    renderGraphiQL: renderDevelopmentGraphiQL,
    logging: "warn",
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: 12, exposeLimits },
        maxAliases: { n: 20, exposeLimits },
        maxDirectives: { n: 20, exposeLimits },
        maxTokens: { n: 3_000, exposeLimits },
        costLimit: { maxCost: 20_000, objectCost: 2, scalarCost: 1, depthCostFactor: 1.5, exposeLimits },
        blockFieldSuggestion: { enabled: environment === "production" },
      }),
      useNulCharacterGuard(),
      useConnectionLimits(),
      useCursorRefusals(),
      useProductionIntrospectionBlock(),
      // A browser cannot send a simple (preflight-free) request that runs an operation: GETs need
      // a custom header, and POSTs are application/json only (checked in the app).
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "graphql-preflight", "apollo-require-preflight"] }),
      ...useTrustedDocuments(),
      useRefusalAudit(),
      useOperationLog(),
      // Last: it replaces execution, and every plugin above still sees the operation.
      useReadPlanner(),
    ],
    maskedErrors: {
      maskError(error, message, isDev) {
        const masked = maskError(error, message, isDev);
        if (masked === error) return masked;
        const requestId = currentRequestId();
        const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
        console.error({
          level: "error",
          event: "graphql.unexpected-error",
          requestId,
          message: String(original),
          stack: (original as Error)?.stack,
        });
        return new GraphQLError(say("INTERNAL_SERVER_ERROR"), {
          ...(masked instanceof GraphQLError ? { nodes: masked.nodes, path: masked.path } : {}),
          extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
        });
      },
    },
  });
}

type GraphiQLWithAssets = GraphiQLOptions & { assetsUrl?: string | undefined };

/** Where the development GraphiQL page loads its bundle: the API's own origin (see app.ts). */
export const GRAPHIQL_BUNDLE_PATH = "/graphiql.js";

/**
 * GraphiQL in development, with no CDN: a page that loads the GraphiQL bundle of the
 * @graphql-yoga/render-graphiql package (too big for the Worker) from the API's own origin, which
 * fetches it from `npm run dev`; so a tunnel or container that forwards only the API's port shows
 * it too. Without that server (plain `wrangler dev`) Yoga's own page is used, which loads GraphiQL
 * from unpkg.
 */
function renderDevelopmentGraphiQL(options: GraphiQLWithAssets): string {
  const { assetsUrl, ...graphiql } = options;
  if (!assetsUrl) return renderGraphiQL(graphiql);
  // `<` escaped so no option value can close the script element.
  const settings = JSON.stringify(graphiql).replaceAll("<", "\\u003c");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kepesertaan GraphiQL</title></head>
<body id="body" class="no-focus-outline"><div id="root"></div>
<script>window.KEPESERTAAN_GRAPHIQL = ${settings};</script>
<script src="${GRAPHIQL_BUNDLE_PATH}"></script></body></html>`;
}

const servers = new Map<AppEnv["environment"], ReturnType<typeof createServer>>();

export function yogaFor(environment: AppEnv["environment"]) {
  let server = servers.get(environment);
  if (!server) {
    server = createServer(environment);
    servers.set(environment, server);
  }
  return server;
}
