/**
 * The terms of the law every module speaks in: the programs (UU 24/2011), the segments a worker
 * registers in, the work-accident risk levels. Plain values in a leaf: the tables make them
 * PostgreSQL enums, the GraphQL layer makes them GraphQL enums (program-enums.ts).
 */

/** Social security programs (UU 24/2011 art. 6(2)): work accident, death, old age, pension, job loss. */
export const programs = ["JKK", "JKM", "JHT", "JP", "JKP"] as const;
export type Program = (typeof programs)[number];

/** BPU informal, PU wage earner, JAKON construction, PMI migrant worker (PP 44/2015, Permenaker 5/2021). */
export const segments = ["BPU", "PU", "JAKON", "PMI"] as const;
export type Segment = (typeof segments)[number];

/** Every job carries a work-accident risk level (PP 44/2015 annex I groups). */
export const riskLevels = ["LOW", "MEDIUM", "HIGH"] as const;
export type RiskLevel = (typeof riskLevels)[number];
