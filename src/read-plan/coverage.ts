import { type GraphQLField, type GraphQLObjectType, type GraphQLSchema, getNamedType, isObjectType } from "graphql";
import { connectionFields, nodeTypeOf } from "./compile";
import { planOf } from "./field-plan";

/**
 * What the read planner answers, read from the built schema: every field of every object type the
 * planned root fields reach, with its declaration. The coverage test requires each to be planned
 * or executor-only with a reason, and the docs' "How reads run" list to be this list.
 */
export interface PlanCoverage {
  /** `Query.participants`, … : the root fields the planner answers. */
  roots: string[];
  /** `Participant.fullName`, … : fields planned (node ids and connection plumbing included). */
  planned: string[];
  executorOnly: { field: string; reason: string }[];
  /** Fields with no declaration: each one is a silent fallback to the executor. */
  undeclared: string[];
}

type Field = GraphQLField<unknown, unknown>;

export function planCoverage(schema: GraphQLSchema): PlanCoverage {
  const coverage: PlanCoverage = { roots: [], planned: [], executorOnly: [], undeclared: [] };
  const seen = new Set<GraphQLObjectType>();
  const objectOf = (field: Field) => getNamedType(field.type) as GraphQLObjectType;

  const visitConnection = (connectionType: GraphQLObjectType) => {
    if (seen.has(connectionType)) return;
    seen.add(connectionType);
    for (const name of connectionFields.connection) coverage.planned.push(`${connectionType.name}.${name}`);
    const fields = connectionType.getFields();
    const edge = fields.edges ? objectOf(fields.edges) : undefined;
    const pageInfo = fields.pageInfo ? objectOf(fields.pageInfo) : undefined;
    if (edge && !seen.has(edge)) {
      seen.add(edge);
      for (const name of connectionFields.edge) coverage.planned.push(`${edge.name}.${name}`);
    }
    if (pageInfo && !seen.has(pageInfo)) {
      seen.add(pageInfo);
      for (const name of connectionFields.pageInfo) coverage.planned.push(`${pageInfo.name}.${name}`);
    }
    visit(nodeTypeOf(connectionType));
  };

  const visit = (type: GraphQLObjectType) => {
    if (seen.has(type)) return;
    seen.add(type);
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      const plan = planOf(field);
      if (field.name === "id" && type.getInterfaces().some((i) => i.name === "Node")) coverage.planned.push(name);
      else if (!plan || plan.kind === "lookup") coverage.undeclared.push(name);
      else if (plan.kind === "executor") coverage.executorOnly.push({ field: name, reason: plan.reason });
      else {
        coverage.planned.push(name);
        if (plan.kind === "connection") visitConnection(objectOf(field));
        else if (plan.kind !== "scalar" && isObjectType(getNamedType(field.type))) visit(objectOf(field));
      }
    }
  };

  const queryType = schema.getQueryType();
  for (const field of Object.values(queryType?.getFields() ?? {})) {
    const plan = planOf(field);
    if (plan?.kind !== "lookup" && plan?.kind !== "connection") continue;
    coverage.roots.push(`Query.${field.name}`);
    if (plan.kind === "connection") visitConnection(objectOf(field));
    else visit(objectOf(field));
  }
  return coverage;
}

/** The docs' list of what the planner leaves to the executor, one line a field. */
export function executorOnlyMarkdown(coverage: PlanCoverage): string {
  return [...coverage.executorOnly]
    .sort((a, b) => a.field.localeCompare(b.field))
    .map(({ field, reason }) => `- \`${field}\`: ${reason}`)
    .join("\n");
}
