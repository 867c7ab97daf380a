/**
 * The part of `cloudflare:test` (@cloudflare/vitest-plugin) these tests use. The package's
 * own declarations need the Workers runtime types globally, which the Node side of this project
 * (one tsconfig) cannot have; so only what is used is declared here.
 */
declare module "cloudflare:test" {
  interface TestExecutionContext {
    waitUntil(promise: Promise<unknown>): void;
    passThroughOnException(): void;
    props: unknown;
  }
  export const env: Record<string, unknown>;
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
  export function createExecutionContext(): TestExecutionContext;
  export function waitOnExecutionContext(ctx: TestExecutionContext): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: number; cron?: string }): {
    scheduledTime: number;
    cron: string;
  };
}
