/**
 * A local stand-in for Hyperdrive's pool, for the `worker-pooled` contender: `wrangler dev` runs a
 * Hyperdrive binding as a direct TCP connection to its `localConnectionString` (no pooling), so
 * the Worker would pay PostgreSQL's connection start-up (a backend process, authentication) on
 * every request, which deployed Hyperdrive does not. This proxy answers the Worker's start-up
 * itself, at once, and lends it an already authenticated PostgreSQL connection until the client
 * says goodbye (Terminate); then the connection goes back to the pool. What is left per request
 * is what Hyperdrive leaves: a cheap local handshake and the queries. It also counts statements
 * (Query and Execute messages) on the wire, as the WebSocket proxy does for the Neon contender.
 *
 * Trust authentication only (the benchmark's loopback PostgreSQL); loopback only.
 */
import { connect, createServer, type Socket } from "node:net";

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const CANCEL_REQUEST = 80_877_102;

/** One backend message, framed: type byte, then int32 length (including itself), then body. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** Splits a stream of typed messages into whole ones (a message may span chunks). */
export function messageReader(onMessage: (type: number, frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= 5) {
      const length = pending.readInt32BE(at + 1) + 1;
      if (pending.length - at < length) break;
      onMessage(pending[at] as number, pending.subarray(at, at + length));
      at += length;
    }
    pending = pending.subarray(at);
  };
}

interface Backend {
  socket: Socket;
  /** Transaction status of the last ReadyForQuery: I (idle), T (in a transaction), E (failed one). */
  status: string;
  /** Syncs and simple queries sent whose ReadyForQuery has not come back yet. */
  awaiting: number;
  /** Where the backend's bytes go while lent out. */
  forward: ((chunk: Buffer) => void) | null;
}

export interface SessionPool {
  port: number;
  /** PostgreSQL connections opened so far (a warm pool opens each once). */
  opened(): number;
  close(): Promise<void>;
}

/**
 * Starts the pool in front of `target` (`postgres://user@127.0.0.1:5432/db`), holding at most
 * `size` PostgreSQL connections; clients beyond that wait for one, as under Hyperdrive's limit.
 */
export async function startSessionPool(
  target: string,
  options: { size: number; onStatement?: () => void },
): Promise<SessionPool> {
  const url = new URL(target);
  const user = decodeURIComponent(url.username) || "postgres";
  const database = decodeURIComponent(url.pathname.slice(1)) || user;
  const idle: Backend[] = [];
  const waiting: ((backend: Backend) => void)[] = [];
  let open = 0;
  let opened = 0;
  /** ParameterStatus messages from the first backend, replayed to each client at start-up. */
  let parameters: Buffer[] = [];

  function openBackend(): Promise<Backend> {
    opened += 1;
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port || 5432), url.hostname);
      socket.setNoDelay(true);
      const pairs = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
      const startup = Buffer.alloc(8);
      startup.writeInt32BE(8 + pairs.length, 0);
      startup.writeInt32BE(PROTOCOL_3, 4);
      socket.write(Buffer.concat([startup, pairs]));
      const backend: Backend = { socket, status: "I", awaiting: 0, forward: null };
      const seen: Buffer[] = [];
      let ready = false;
      const read = messageReader((type, frame) => {
        if (type === 0x5a) backend.status = String.fromCharCode(frame[5] as number); // 'Z'
        if (!ready) {
          if (type === 0x52 && frame.readInt32BE(5) !== 0) {
            reject(new Error("the session pool supports trust authentication only"));
            socket.destroy();
          } else if (type === 0x45) {
            reject(new Error(`PostgreSQL refused the pool's connection: ${frame.toString("utf8", 5)}`));
            socket.destroy();
          } else if (type === 0x53)
            seen.push(frame); // 'S' ParameterStatus
          else if (type === 0x5a) {
            ready = true;
            if (parameters.length === 0) parameters = seen;
            resolve(backend);
          }
          return;
        }
        if (type === 0x5a) backend.awaiting -= 1;
      });
      socket.on("data", (chunk: Buffer) => {
        // Forward first: the framing below only tracks transaction state.
        if (ready) backend.forward?.(chunk);
        read(chunk);
      });
      socket.on("error", (error) => {
        if (!ready) reject(error);
      });
      socket.on("close", () => {
        open -= 1;
        const at = idle.indexOf(backend);
        if (at >= 0) idle.splice(at, 1);
      });
    });
  }

  async function acquire(): Promise<Backend> {
    const free = idle.pop();
    if (free) return free;
    if (open < options.size) {
      open += 1;
      try {
        return await openBackend();
      } catch (error) {
        open -= 1;
        throw error;
      }
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function release(backend: Backend) {
    backend.forward = null;
    // A client gone mid-query or mid-transaction leaves a backend in an unknown state: drop it.
    if (backend.awaiting !== 0 || backend.status !== "I" || backend.socket.destroyed) {
      backend.socket.destroy();
      const next = waiting.shift();
      if (next) {
        open += 1;
        openBackend().then(next, () => {
          open -= 1;
        });
      }
      return;
    }
    const next = waiting.shift();
    if (next) next(backend);
    else idle.push(backend);
  }

  const server = createServer((client) => {
    client.setNoDelay(true);
    let backend: Backend | null = null;
    let started = false;
    let pending: Buffer = Buffer.alloc(0);
    const done = () => {
      if (backend) release(backend);
      backend = null;
      client.destroy();
    };
    // Client → PostgreSQL, message by message: Terminate ends the loan instead of the backend.
    const fromClient = messageReader((type, frame) => {
      if (!backend) return;
      if (type === 0x58) return done(); // 'X'
      if (type === 0x45 || type === 0x51) options.onStatement?.(); // 'E' Execute, 'Q' Query
      if (type === 0x53 || type === 0x51) backend.awaiting += 1; // 'S' Sync, 'Q' Query
      backend.socket.write(frame);
    });
    client.on("data", async (chunk: Buffer) => {
      if (started) {
        // Bytes that arrive while a connection is being found wait with the rest.
        if (backend) fromClient(chunk);
        else pending = Buffer.concat([pending, chunk]);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 8 || pending.length < pending.readInt32BE(0)) return;
      const length = pending.readInt32BE(0);
      const code = pending.readInt32BE(4);
      pending = pending.subarray(length);
      if (code === SSL_REQUEST) {
        client.write("N");
        return;
      }
      if (code === CANCEL_REQUEST || code !== PROTOCOL_3) {
        client.destroy();
        return;
      }
      started = true;
      client.pause();
      try {
        backend = await acquire();
      } catch (error) {
        const text = Buffer.from(`SFATAL\0C08006\0M${String(error)}\0\0`);
        client.end(message("E", text));
        return;
      }
      const lent = backend;
      lent.forward = (data) => client.write(data);
      const key = Buffer.alloc(8);
      key.writeInt32BE(process.pid, 0);
      const auth = Buffer.alloc(4);
      client.write(
        Buffer.concat([message("R", auth), ...parameters, message("K", key), message("Z", Buffer.from("I"))]),
      );
      client.resume();
      if (pending.length) {
        const rest = pending;
        pending = Buffer.alloc(0);
        fromClient(rest);
      }
    });
    client.on("close", done);
    client.on("error", done);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    opened: () => opened,
    close: async () => {
      for (const backend of idle) backend.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
