/**
 * The Worker's identity side: handing due identity checks to their queue (every minute, and after
 * each write) and consuming it, asking the civil registry through the configured verifier.
 */

import { z } from "zod";
import type { Connect } from "./events-worker";
import { isProductionBindings } from "./modules/events/bindings";
import type { QueueBatch, QueueProducer } from "./modules/events/queue";
import { httpVerifier } from "./modules/identity/http-verifier";
import { offlineVerifier } from "./modules/identity/offline-verifier";
import { consumeIdentityChecks, type IdentityCheckMessage, relayIdentityChecks } from "./modules/identity/queue";
import type { IdentityVerifier } from "./modules/identity/verifier";
import type { Clock } from "./shared/clock";

/** The queue's name in wrangler.toml: the `queue` handler tells its batches from the webhooks'. */
export const IDENTITY_QUEUE_NAME = "kepesertaan-identity-checks";

function identityQueueOf(bindings: unknown): QueueProducer<IdentityCheckMessage> | null {
  const candidate = ((bindings ?? {}) as Record<string, unknown>).IDENTITY_QUEUE as
    | Partial<QueueProducer<IdentityCheckMessage>>
    | undefined;
  return typeof candidate?.sendBatch === "function" ? (candidate as QueueProducer<IdentityCheckMessage>) : null;
}

/** The registry gateway's settings; in production only over https. */
const registrySettings = z.object({
  DUKCAPIL_URL: z.url(),
  DUKCAPIL_CLIENT_ID: z.string().min(1),
  DUKCAPIL_CLIENT_SECRET: z.string().min(16),
  DUKCAPIL_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).optional(),
});

/**
 * The verifier these bindings configure: the registry over HTTP when `DUKCAPIL_URL` and its
 * credentials are set; otherwise, in development and tests, the offline verifier (src/modules/
 * identity/offline-verifier.ts). Production has no offline answer, since a made-up "verified"
 * would pay sponsors' money on no evidence: without a configured registry, or with a broken
 * configuration (logged), its checks simply wait.
 */
export function configuredVerifier(bindings: unknown): IdentityVerifier | null {
  const record = (bindings ?? {}) as Record<string, unknown>;
  const production = isProductionBindings(bindings);
  if (record.DUKCAPIL_URL === undefined) return production ? null : offlineVerifier();
  const settings = registrySettings.safeParse(record);
  if (!settings.success || (production && !settings.data.DUKCAPIL_URL.startsWith("https://"))) {
    console.error(
      JSON.stringify({
        level: "error",
        job: "identity-verifier",
        message: "DUKCAPIL_URL is set but the registry settings are incomplete or not https: checks wait",
        fields: settings.success ? ["DUKCAPIL_URL"] : settings.error.issues.map((issue) => issue.path.join(".")),
      }),
    );
    return null;
  }
  return httpVerifier({
    endpoint: settings.data.DUKCAPIL_URL,
    clientId: settings.data.DUKCAPIL_CLIENT_ID,
    clientSecret: settings.data.DUKCAPIL_CLIENT_SECRET,
    ...(settings.data.DUKCAPIL_TIMEOUT_MS ? { timeoutMs: settings.data.DUKCAPIL_TIMEOUT_MS } : {}),
  });
}

/** Hands due checks to the queue; a no-op where no queue is bound or nothing could answer them. */
export async function relayIdentity(bindings: unknown, connect: Connect, clock: Clock): Promise<void> {
  const queue = identityQueueOf(bindings);
  if (!queue || !configuredVerifier(bindings)) return;
  const { db, end } = connect();
  try {
    const queued = await relayIdentityChecks(db, queue, clock.now());
    if (queued > 0) console.log(JSON.stringify({ level: "info", job: "identity-relay", queued }));
  } finally {
    await end();
  }
}

/** The identity queue's consumer. */
export async function consumeIdentityQueue(
  batch: QueueBatch<IdentityCheckMessage>,
  bindings: unknown,
  connect: Connect,
  clock: Clock,
): Promise<void> {
  const verifier = configuredVerifier(bindings);
  if (!verifier) {
    for (const message of batch.messages) message.retry({ delaySeconds: 3600 });
    return;
  }
  const { db, end } = connect();
  try {
    await consumeIdentityChecks(db, verifier, batch, () => clock.now());
  } finally {
    await end();
  }
}
