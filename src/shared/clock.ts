/** "Today" is injected so status rules and tests never depend on the wall clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return { now: () => new Date(at) };
}

/** A fixed instant that can be moved: tests walk one database through several "todays". */
export interface SettableClock extends Clock {
  set(iso: string): void;
}

export function settableClock(iso: string): SettableClock {
  let at = new Date(iso);
  return {
    now: () => new Date(at),
    set: (next) => {
      at = new Date(next);
    },
  };
}
