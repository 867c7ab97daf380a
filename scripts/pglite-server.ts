import { createServer, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'

/**
 * Hands PGlite's one backend session to one client at a time. A client holds it from its first
 * message until PostgreSQL reports it idle again (ReadyForQuery 'I'): a whole extended-protocol
 * exchange (Parse … Sync) and a whole transaction (BEGIN … COMMIT) run without another client's
 * messages in between. Others queue, however many they are, so 50 concurrent clients wait their
 * turn instead of being refused or interleaved (which broke transactions and unnamed statements).
 */
class SessionLock {
  private holder: object | null = null;
  private readonly waiting: { client: object; grant: () => void }[] = [];

  holds(client: object): boolean {
    return this.holder === client;
  }

  async acquire(client: object): Promise<void> {
    if (this.holder === client) return;
    if (this.holder === null) {
      this.holder = client;
      return;
    }
    await new Promise<void>((grant) => this.waiting.push({ client, grant }));
  }

  release(client: object): void {
    const queued = this.waiting.findIndex((w) => w.client === client);
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (this.holder !== client) return;
    const next = this.waiting.shift();
    this.holder = next?.client ?? null;
    next?.grant();
  }

  get queued(): number {
    return this.waiting.length;
  }
}

/** The transaction status of the last ReadyForQuery in a backend response, if it has one. */
function readyStatus(response: Uint8Array): number | null {
  let status: number | null = null;
  let at = 0;
  while (at + 5 <= response.length) {
    const type = response[at] ?? 0;
    const length =
      ((response[at + 1] ?? 0) << 24) |
      ((response[at + 2] ?? 0) << 16) |
      ((response[at + 3] ?? 0) << 8) |
      (response[at + 4] ?? 0);
    if (type === READY_FOR_QUERY && at + 5 < response.length) status = response[at + 5] ?? null;
    at += 1 + length;
  }
  return status;
}

export interface PgliteServer {
  port: number;
  stats(): { clients: number; queued: number };
  stop(): Promise<void>;
}

/** PGlite on a loopback TCP port, speaking the PostgreSQL wire protocol to any number of clients. */
export async function servePglite(db: PGlite, options: { host?: string; port?: number } = {}): Promise<PgliteServer> {
  const lock = new SessionLock();
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const client = {};
    let buffer: Buffer = Buffer.alloc(0);
    let started = false;
    let pumping = false;
    let closed = false;
    /** ReadyForQuery status after this client's last message: 'I' idle, 'T' in a transaction, 'E' failed one. */
    let status: number | null = null;

    const exec = async (message: Uint8Array) => {
      const response = await db.runExclusive(() => db.execProtocolRaw(message));
      const ready = readyStatus(response);
      // No ReadyForQuery: an extended-protocol exchange is under way; the session stays held.
      status = ready;
      if (response.length > 0 && !socket.destroyed) socket.write(response);
    };

    const finish = async () => {
      if (closed) return;
      closed = true;
      sockets.delete(socket);
      try {
        // A client gone mid-transaction must not leave it open for the next one.
        if (lock.holds(client) && status !== 0x49 /* 'I' */) await db.runExclusive(() => db.exec("ROLLBACK"));
      } catch {
        // Nothing to roll back.
      } finally {
        lock.release(client);
        socket.destroy();
      }
    };

    /** The next complete message in the buffer, or null. */
    const nextMessage = (): Buffer | null => {
      if (!started) {
        if (buffer.length < 8) return null;
        const length = buffer.readInt32BE(0);
        return buffer.length >= length ? buffer.subarray(0, length) : null;
      }
      if (buffer.length < 5) return null;
      const length = 1 + buffer.readInt32BE(1);
      return buffer.length >= length ? buffer.subarray(0, length) : null;
    };

    const pump = async () => {
      if (pumping) return;
      pumping = true;
      try {
        for (let message = nextMessage(); message && !closed; message = nextMessage()) {
          buffer = buffer.subarray(message.length);
          if (!started) {
            const code = message.readInt32BE(4);
            if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
              socket.write("N");
              continue;
            }
            if (code === CANCEL_REQUEST) {
              await finish();
              return;
            }
            started = true;
          } else if (message[0] === TERMINATE) {
            await finish();
            return;
          }
          await lock.acquire(client);
          if (closed) return;
          await exec(new Uint8Array(message));
          if (status === 0x49 /* 'I' */ && nextMessage() === null) lock.release(client);
        }
      } catch {
        await finish();
      } finally {
        pumping = false;
      }
      if (!closed && nextMessage()) void pump();
    };

    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      void pump();
    });
    socket.on("error", () => void finish());
    socket.on("close", () => void finish());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  return {
    port,
    stats: () => ({ clients: sockets.size, queued: lock.queued }),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
