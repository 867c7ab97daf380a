import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The id of the request being served, readable where no context is passed (error masking and
 * logging). Workers provide AsyncLocalStorage under `nodejs_compat`.
 */
const scope = new AsyncLocalStorage<{ requestId: string }>();

export function runWithRequestId<T>(requestId: string, run: () => T): T {
  return scope.run({ requestId }, run);
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
