export {};

/** Prints how long importing and building the GraphQL schema takes: what an isolate pays once. */
const started = performance.now();
await import("../src/schema");
console.log((performance.now() - started).toFixed(0));
