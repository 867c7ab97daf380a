/** Secrets the benchmark's own API server runs with (loopback only, never deployed). */
export const BENCH_JWT_SECRET = "benchmark-secret-that-is-at-least-32-characters";
export const BENCH_CHANNEL_SECRETS = { BRIVA: "benchmark-briva-secret-0123456789" };
/** Seals webhook signing secrets: production settings require it (32 bytes, base64). */
export const BENCH_WEBHOOK_SECRET_KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
