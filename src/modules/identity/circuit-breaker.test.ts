import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker";

describe("the circuit breaker", () => {
  it("opens after the threshold, lets one trial through after the wait, and closes on its success", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000 }, () => now);
    for (let i = 0; i < 2; i++) {
      expect(breaker.allows()).toBe(true);
      breaker.failed();
    }
    expect(breaker.state).toBe("CLOSED");
    breaker.failed();
    expect(breaker.state).toBe("OPEN");
    expect(breaker.allows()).toBe(false);
    now = 999;
    expect(breaker.allows()).toBe(false);
    now = 1_000;
    expect(breaker.state).toBe("HALF_OPEN");
    expect(breaker.allows()).toBe(true);
    // Only one trial at a time.
    expect(breaker.allows()).toBe(false);
    breaker.succeeded();
    expect(breaker.state).toBe("CLOSED");
    expect(breaker.allows()).toBe(true);
  });

  it("opens again when the trial fails", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 500 }, () => now);
    breaker.failed();
    now = 500;
    expect(breaker.allows()).toBe(true);
    breaker.failed();
    expect(breaker.state).toBe("OPEN");
    now = 999;
    expect(breaker.allows()).toBe(false);
    now = 1_000;
    expect(breaker.allows()).toBe(true);
  });

  it("forgets earlier failures after a success", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 500 }, () => 0);
    breaker.failed();
    breaker.succeeded();
    breaker.failed();
    expect(breaker.state).toBe("CLOSED");
  });
});
