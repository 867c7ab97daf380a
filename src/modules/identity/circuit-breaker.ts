/**
 * A circuit breaker for a remote service: after `failureThreshold` failures in a row it opens and
 * refuses calls for `openMs` (the service gets room to recover, and callers an answer at once);
 * then it lets one trial call through (half-open): a success closes it, a failure opens it again.
 */
export interface CircuitBreakerPolicy {
  failureThreshold: number;
  openMs: number;
}

export type CircuitState = "CLOSED" | "OPEN" | "HALF_OPEN";

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly policy: CircuitBreakerPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.openedAt === null) return "CLOSED";
    return this.now() - this.openedAt >= this.policy.openMs ? "HALF_OPEN" : "OPEN";
  }

  /** Whether a call may go out now (in half-open state, only the one trial call). */
  allows(): boolean {
    const state = this.state;
    if (state === "CLOSED") return true;
    if (state === "OPEN" || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  succeeded(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failed(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.openedAt !== null || this.failures >= this.policy.failureThreshold) this.openedAt = this.now();
  }
}
