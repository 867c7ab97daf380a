/** Secrets the benchmark's own API server runs with (loopback only, never deployed). */
export const BENCH_JWT_SECRET = "benchmark-secret-that-is-at-least-32-characters";
export const BENCH_CHANNEL_SECRETS = { BRIVA: "benchmark-briva-secret-0123456789" };
