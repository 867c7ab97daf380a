import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeliveryPolicy } from "../../src/modules/events/delivery";

/** Delivery as in production but quick to fail: a receiver that hangs times out in 400 ms. */
export const testDeliveryPolicy: DeliveryPolicy = {
  maxAttempts: 4,
  baseDelaySeconds: 10,
  factor: 4,
  maxDelaySeconds: 43_200,
  timeoutMs: 400,
  autoPauseAfter: 6,
  orderingDelaySeconds: 5,
};

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number | "hang";
}

/** What the receiver does with a request: answer with a status, or never answer (a timeout). */
export type Answer = number | "hang";

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests. `answer` decides per request (by its index
 * and body); every request is recorded, whatever it was answered.
 */
export async function startReceiver(answer: (index: number, body: string) => Answer = () => 200) {
  const received: Received[] = [];
  const hanging = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const decision = answer(received.length, body);
      received.push({ headers: request.headers, body, answered: decision });
      if (decision === "hang") {
        const release = () => response.destroy();
        hanging.add(release);
        return;
      }
      response.writeHead(decision, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Bodies of the requests answered 2xx, parsed. */
    delivered: () =>
      received
        .filter((r) => typeof r.answered === "number" && r.answered >= 200 && r.answered < 300)
        .map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> }),
    close: async () => {
      for (const release of hanging) release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
