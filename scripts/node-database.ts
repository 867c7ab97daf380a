import { neonConfig } from "@neondatabase/serverless";
import ws from "ws";
import { openDatabase, useWebSocketProxy } from "../src/db/client";
import { startWebSocketProxy } from "./ws-proxy";

let proxy: Promise<{ port: number; close(): Promise<void> }> | undefined;

/**
 * Node-side access to a loopback PostgreSQL (PGlite or a real server) through the same Neon
 * driver the Worker uses, via one in-process WebSocket proxy shared by all connections.
 */
export async function nodeProxy(): Promise<{ port: number; close(): Promise<void> }> {
  proxy ??= startWebSocketProxy().then((started) => {
    neonConfig.webSocketConstructor = ws;
    useWebSocketProxy(`127.0.0.1:${started.port}/v1`);
    return started;
  });
  return proxy;
}

export async function connectNode(url: string) {
  await nodeProxy();
  const { db, pool } = openDatabase(url);
  return { db, pool, close: () => pool.end() };
}

export async function closeNodeProxy(): Promise<void> {
  if (!proxy) return;
  const started = await proxy;
  proxy = undefined;
  await started.close();
}
