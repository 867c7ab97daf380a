import { PothosValidationError } from "@pothos/core";
import {
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  TypeInfo,
  type ValueNode,
  valueFromAST,
  visit,
  visitWithTypeInfo,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context";
import { isDataException } from "../db/errors";
import { say } from "../shared/messages";

export const MAX_PAGE_SIZE = 100;

/** A connection field of a document, with the page-size arguments it was given. */
interface ConnectionField {
  name: string;
  node: FieldNode;
  sizes: { name: string; type: GraphQLInputType; value: ValueNode }[];
}

/**
 * The connection fields of each document, found once: a document's shape does not change between
 * requests, only its variables do (Yoga's parser cache hands the same DocumentNode back for the
 * same text, so a repeated operation is walked once).
 */
const connectionFieldsByDocument = new WeakMap<DocumentNode, ConnectionField[]>();

function connectionFieldsOf(schema: GraphQLSchema, document: DocumentNode): ConnectionField[] {
  const known = connectionFieldsByDocument.get(document);
  if (known) return known;
  const typeInfo = new TypeInfo(schema);
  const fields: ConnectionField[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        const type = field ? getNamedType(field.type) : undefined;
        if (!field || !isObjectType(type) || !type.name.endsWith("Connection") || !type.getFields().pageInfo) return;
        const sizes: ConnectionField["sizes"] = [];
        for (const argument of node.arguments ?? []) {
          const definition = field.args.find((a) => a.name === argument.name.value);
          if (definition) sizes.push({ name: argument.name.value, type: definition.type, value: argument.value });
        }
        fields.push({ name: field.name, node, sizes });
      },
    }),
  );
  connectionFieldsByDocument.set(document, fields);
  return fields;
}

/**
 * Every connection must say how much it wants (`first` or `last`, 0 to 100): an unbounded or
 * oversized page is refused up front rather than silently clamped.
 */
export function connectionArgumentErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const field of connectionFieldsOf(schema, document)) {
    const sizes: Record<string, unknown> = {};
    for (const size of field.sizes) sizes[size.name] = valueFromAST(size.value, size.type, variables ?? {});
    const requested = [sizes.first, sizes.last].filter((size) => size !== undefined && size !== null);
    if (requested.length === 0) {
      errors.push(
        new GraphQLError(say("BAD_USER_INPUT.pageSizeMissing", { field: field.name, max: MAX_PAGE_SIZE }), {
          nodes: field.node,
          extensions: { code: "BAD_USER_INPUT" },
        }),
      );
    }
    for (const size of requested) {
      if (typeof size !== "number" || size < 0 || size > MAX_PAGE_SIZE) {
        errors.push(
          new GraphQLError(
            say("BAD_USER_INPUT.pageSize", { field: field.name, max: MAX_PAGE_SIZE, size: String(size) }),
            {
              nodes: field.node,
              extensions: { code: "BAD_USER_INPUT" },
            },
          ),
        );
      }
    }
  }
  return errors;
}

export function useConnectionLimits(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = connectionArgumentErrors(args.schema, args.document, args.variableValues);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}

/**
 * PostgreSQL text cannot hold U+0000, so a NUL in any string would fail deep in a query. Refuse
 * it at the door with a clear error instead.
 */
export function useNulCharacterGuard(): Plugin<Context> {
  return {
    onParams({ params, setResult }) {
      const text = `${params.query ?? ""}${JSON.stringify(params.variables ?? {})}`;
      // JSON.stringify writes a NUL as the escape \u0000; a GraphQL string literal may spell it the same way.
      if (text.includes("\\u0000") || text.includes("\u0000")) {
        setResult({
          errors: [
            new GraphQLError(say("BAD_USER_INPUT.nul"), {
              extensions: { code: "BAD_USER_INPUT" },
            }),
          ],
        });
      }
    },
  };
}

/** Introspection is for development; production clients use the checked-in schema. */
export function useProductionIntrospectionBlock(): Plugin<Context> {
  return {
    onValidate({ context, addValidationRule }) {
      if (context.env.environment === "production") addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * A connection's cursor the caller made up or took from another connection: plugin-drizzle refuses
 * one it cannot decode without a code, and one that decodes to values of other types (a name where
 * a date goes) reaches PostgreSQL as a bad literal (SQLSTATE class 22, data exception). Both are the
 * caller's input: answered as BAD_USER_INPUT naming the argument, before error masking would log
 * them as the API's own failure.
 */
export function useCursorRefusals(): Plugin<Context> {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!("errors" in result) || !result.errors?.length) return;
          const errors = result.errors.map((error) => refusedCursor(error) ?? error);
          if (errors.some((error, i) => error !== result.errors?.[i])) setResult({ ...result, errors });
        },
      };
    },
  };
}

function refusedCursor(error: GraphQLError): GraphQLError | null {
  const field = error.nodes?.[0];
  if (field?.kind !== Kind.FIELD) return null;
  const argument = field.arguments?.find((given) => given.name.value === "after" || given.name.value === "before");
  if (!argument) return null;
  const original = error.originalError;
  const badValue = isDataException(original);
  const undecodable = original instanceof PothosValidationError && original.message.startsWith("Invalid cursor");
  if (!badValue && !undecodable) return null;
  return new GraphQLError(say("BAD_USER_INPUT.cursor", { field: `${field.name.value}.${argument.name.value}` }), {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: "BAD_USER_INPUT" },
  });
}
