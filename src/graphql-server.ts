import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError } from "graphql";
import { createYoga, maskError } from "graphql-yoga";
import type { Context } from "./context";
import type { AppEnv } from "./env";
import { useConnectionLimits, useNulCharacterGuard, useProductionIntrospectionBlock } from "./graphql-limits";
import { useRefusalAudit } from "./modules/audit/refusals";
import { schema } from "./schema";
import { currentRequestId } from "./shared/request-scope";

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
    // CORS is answered by the Hono app from its allowlist (src/http/cors.ts), never reflected here.
    cors: false,
    graphiql: (_request, context) => context.env.environment === "development",
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
      useProductionIntrospectionBlock(),
      // A browser cannot send a simple (preflight-free) request that runs an operation: GETs need
      // a custom header, and POSTs are application/json only (checked in the app).
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "graphql-preflight", "apollo-require-preflight"] }),
      useRefusalAudit(),
    ],
    maskedErrors: {
      maskError(error, message, isDev) {
        const masked = maskError(error, message, isDev);
        if (masked === error) return masked;
        const requestId = currentRequestId();
        const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
        console.error(
          JSON.stringify({ level: "error", requestId, message: String(original), stack: (original as Error)?.stack }),
        );
        return new GraphQLError("Unexpected error.", {
          ...(masked instanceof GraphQLError ? { nodes: masked.nodes, path: masked.path } : {}),
          extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
        });
      },
    },
  });
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
