/**
 * The identity checks' queue: the relay hands due checks to it (every minute, and after each write
 * that registers someone), its consumer asks the registry. Cloudflare Queues in production and in
 * `wrangler dev`; Node tests and the demo seed drain the due checks in process instead.
 */
import type { Database } from "../../db/client";
import { type QueueBatch, type QueueProducer, SEND_BATCH_LIMIT } from "../events/queue";
import { runIdentityChecks } from "./service";
import { claimDueChecks } from "./store";
import type { IdentityVerifier } from "./verifier";

/** What travels on the queue: only the check's id; the person's data is read when it is handled. */
export interface IdentityCheckMessage {
  checkId: number;
}

/**
 * How fast the registry is asked: at most this many checks a minute from the relay (a backlog, such
 * as the participants registered before verification existed, is worked off over hours), and a
 * check handed over but not decided within `requeueAfterMinutes` is handed over again.
 */
export const identityRelayPolicy = { perRun: 500, requeueAfterMinutes: 15 } as const;

/** Hands due checks to the queue; returns how many. */
export async function relayIdentityChecks(
  db: Database,
  queue: QueueProducer<IdentityCheckMessage>,
  now: Date,
): Promise<number> {
  const ids = await claimDueChecks(db, now, {
    limit: identityRelayPolicy.perRun,
    requeueAfterMs: identityRelayPolicy.requeueAfterMinutes * 60_000,
  });
  for (let i = 0; i < ids.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(ids.slice(i, i + SEND_BATCH_LIMIT).map((checkId) => ({ body: { checkId } })));
  }
  return ids.length;
}

/** The consumer: the batch's checks are asked and decided together; a failure leaves them to the queue's retry. */
export async function consumeIdentityChecks(
  db: Database,
  verifier: IdentityVerifier,
  batch: QueueBatch<IdentityCheckMessage>,
  now: () => Date,
): Promise<void> {
  const ids = batch.messages.map((message) => message.body.checkId);
  try {
    await runIdentityChecks(db, verifier, ids, now());
    for (const message of batch.messages) message.ack();
  } catch (error) {
    console.error(JSON.stringify({ level: "error", job: "identity-checks", checks: ids.length, error: String(error) }));
    for (const message of batch.messages) message.retry({ delaySeconds: 60 });
  }
}

/**
 * Asks about every check due now, in process: the local stand-in for relay and consumer where no
 * queue is bound (Node tests, the demo seed). Returns how many it decided or rescheduled.
 */
export async function drainIdentityChecks(db: Database, verifier: IdentityVerifier, now: Date): Promise<number> {
  let handled = 0;
  for (;;) {
    const ids = await claimDueChecks(db, now, { limit: identityRelayPolicy.perRun, requeueAfterMs: 0 });
    if (ids.length === 0) return handled;
    await runIdentityChecks(db, verifier, ids, now);
    handled += ids.length;
  }
}
