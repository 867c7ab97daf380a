import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { WebSocketServer } from "ws";

/** PostgreSQL's Terminate message: 'X' followed by the length 4. */
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * A WebSocket → TCP bridge in the shape Neon's driver expects (`/v1?address=host:port`), so the
 * same driver code reaches PGlite or a local PostgreSQL. Only loopback targets are allowed.
 * PGlite's socket server keeps the TCP side open after Terminate, so the bridge closes both sides
 * itself; otherwise `pool.end()` never resolves.
 */
export async function startWebSocketProxy(
  port = 0,
  options: { onStatement?: () => void } = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end("WebSocket only");
  });
  const wss = new WebSocketServer({ server, path: "/v1" });
  wss.on("connection", (socket, request) => {
    const address = new URL(request.url ?? "", "http://proxy").searchParams.get("address") ?? "";
    const separator = address.lastIndexOf(":");
    const host = address.slice(0, separator);
    const targetPort = Number(address.slice(separator + 1));
    if (!LOOPBACK.has(host) || !Number.isInteger(targetPort) || targetPort <= 0) {
      socket.close(1008, "only loopback PostgreSQL targets are proxied");
      return;
    }
    const tcp = connect(targetPort, host);
    tcp.setNoDelay(true);
    const closeBoth = () => {
      tcp.destroy();
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close();
    };
    tcp.on("data", (chunk) => {
      if (socket.readyState === socket.OPEN) socket.send(chunk);
    });
    tcp.on("error", closeBoth);
    tcp.on("close", closeBoth);
    const count = options.onStatement ? statementCounter(options.onStatement) : undefined;
    socket.on("message", (data: Buffer) => {
      count?.(data);
      tcp.write(data);
      if (data.length >= TERMINATE.length && data.subarray(data.length - TERMINATE.length).equals(TERMINATE)) {
        tcp.end(closeBoth);
      }
    });
    socket.on("close", () => tcp.end());
    socket.on("error", closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    port: boundPort,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Counts the statements a client sends (Query and Execute messages of the PostgreSQL wire
 * protocol), for benchmarks of a Worker, whose driver cannot be instrumented from outside.
 * Messages may span WebSocket frames, so it walks message boundaries across chunks: first the
 * untyped startup message, then `type, int32 length, body`.
 */
export function statementCounter(onStatement: () => void): (chunk: Buffer) => void {
  let started = false;
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const header = started ? 5 : 4;
      if (pending.length - at < header) break;
      const length = started ? pending.readInt32BE(at + 1) + 1 : pending.readInt32BE(at);
      if (pending.length - at < length) break;
      if (started && (pending[at] === 0x45 || pending[at] === 0x51)) onStatement(); // 'E', 'Q'
      started = true;
      at += length;
    }
    pending = pending.subarray(at);
  };
}
