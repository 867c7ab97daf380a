/** Every table and enum, for drizzle-kit and for `defineRelations`. */

export * from "../modules/audit/tables";
export * from "../modules/contributions/tables";
export * from "../modules/credentials/tables";
export * from "../modules/dashboard/tables";
export * from "../modules/ecosystems/tables";
export * from "../modules/enrollments/tables";
export * from "../modules/events/tables";
export * from "../modules/identity/tables";
export * from "../modules/jobs/tables";
export * from "../modules/outbox/tables";
export * from "../modules/outreach/tables";
export * from "../modules/participants/tables";
export * from "../modules/payments/tables";
export * from "../modules/regions/tables";
export * from "../modules/sponsors/tables";
