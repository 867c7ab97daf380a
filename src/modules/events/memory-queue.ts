import type { QueueBatch, QueueMessage, QueueProducer } from "./queue";

interface Held<T> {
  id: string;
  body: T;
  attempts: number;
  visibleAt: number;
}

/**
 * An in-process queue with Cloudflare Queues' interface and semantics that matter here: messages
 * are delivered in batches, `retry` makes one visible again after its delay, an unacknowledged
 * message is retried. Time is virtual (`now` advances to the next due message), so tests can run
 * a whole retry schedule in milliseconds and read back the delays that were asked for.
 */
export class InProcessQueue<T> implements QueueProducer<T> {
  private held: Held<T>[] = [];
  private counter = 0;
  /** Virtual seconds since the queue was made. */
  now = 0;
  /** Every delay passed to `retry`, in order: the retry schedule as the consumer asked for it. */
  readonly retryDelays: number[] = [];
  sent = 0;

  constructor(readonly name = "memory") {}

  async send(body: T, options?: { delaySeconds?: number }): Promise<void> {
    this.counter += 1;
    this.sent += 1;
    this.held.push({ id: `m${this.counter}`, body, attempts: 0, visibleAt: this.now + (options?.delaySeconds ?? 0) });
  }

  async sendBatch(messages: Iterable<{ body: T; delaySeconds?: number }>): Promise<void> {
    for (const message of messages) await this.send(message.body, { delaySeconds: message.delaySeconds ?? 0 });
  }

  get size(): number {
    return this.held.length;
  }

  /** Takes every message due now (advancing time to the next one if none is), up to `max`. */
  take(max = 100): QueueBatch<T> & { settle(): void } {
    if (this.held.length > 0 && !this.held.some((m) => m.visibleAt <= this.now)) {
      this.now = Math.min(...this.held.map((m) => m.visibleAt));
    }
    const due = this.held.filter((m) => m.visibleAt <= this.now).slice(0, max);
    this.held = this.held.filter((m) => !due.includes(m));
    const decisions = new Map<Held<T>, { ack: true } | { ack: false; delay: number }>();
    const messages: QueueMessage<T>[] = due.map((held) => {
      held.attempts += 1;
      return {
        id: held.id,
        body: held.body,
        attempts: held.attempts,
        ack: () => decisions.set(held, { ack: true }),
        retry: (options) => decisions.set(held, { ack: false, delay: options?.delaySeconds ?? 0 }),
      };
    });
    return {
      queue: this.name,
      messages,
      settle: () => {
        for (const held of due) {
          const decision = decisions.get(held) ?? { ack: false as const, delay: 0 };
          if (decision.ack) continue;
          this.retryDelays.push(decision.delay);
          this.held.push({ ...held, visibleAt: this.now + decision.delay });
        }
      },
    };
  }

  /** Runs the consumer until the queue is empty (or `maxBatches` ran). */
  async drain(consume: (batch: QueueBatch<T>) => Promise<void>, maxBatches = 1_000): Promise<number> {
    let batches = 0;
    while (this.held.length > 0 && batches < maxBatches) {
      const batch = this.take();
      try {
        await consume(batch);
      } finally {
        batch.settle();
      }
      batches += 1;
    }
    return batches;
  }
}
