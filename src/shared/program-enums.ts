/**
 * The GraphQL enums several modules' types share — programs, segments, risk levels — defined once
 * in this leaf so modules do not import each other's GraphQL files for them (which made
 * contributions, participants and sponsors a cycle).
 */
import { builder } from "../builder";
import { programs, riskLevels, segments } from "./programs";

export const ProgramEnum = builder.enumType("Program", {
  description: "JKK work accident, JKM death, JHT old age savings, JP pension, JKP job loss.",
  values: programs,
});

export const SegmentEnum = builder.enumType("Segment", {
  description: "BPU informal worker, PU wage earner, JAKON construction worker, PMI migrant worker.",
  values: segments,
});

export const RiskLevelEnum = builder.enumType("RiskLevel", { values: riskLevels });
