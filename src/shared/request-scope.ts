import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The id of the request being served, readable where no context is passed (error masking and
 * logging). Workers provide AsyncLocalStorage under `nodejs_compat`.
 */
const scope = new AsyncLocalStorage<{ requestId: string; ranMutation: boolean }>();

export function runWithRequestId<T>(requestId: string, run: () => T): T {
  return scope.run({ requestId, ranMutation: false }, run);
}

/** Marks that this request executed a mutation (so its events are relayed right after it). */
export function noteMutationRan(): void {
  const store = scope.getStore();
  if (store) store.ranMutation = true;
}

/** Whether this request executed a mutation. */
export function mutationRan(): boolean {
  return scope.getStore()?.ranMutation ?? false;
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
