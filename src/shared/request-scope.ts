import { AsyncLocalStorage } from "node:async_hooks";

/** The languages messages are written in (see shared/messages). */
export type Language = "id" | "en";

/** Outside a request (scripts, the queue consumer), and when configured nowhere else. */
export const DEFAULT_LANGUAGE: Language = "id";

/**
 * The request being served, readable where no context is passed (error masking, logging, messages):
 * its id and the language its caller reads, resolved once from Accept-Language. Workers provide
 * AsyncLocalStorage under `nodejs_compat`.
 */
const scope = new AsyncLocalStorage<{ requestId: string; language: Language; ranMutation: boolean }>();

export function runWithRequestId<T>(requestId: string, run: () => T, language: Language = DEFAULT_LANGUAGE): T {
  return scope.run({ requestId, language, ranMutation: false }, run);
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

/** The language of the request being served. */
export function currentLanguage(): Language {
  return scope.getStore()?.language ?? DEFAULT_LANGUAGE;
}
