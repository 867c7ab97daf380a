/**
 * The deploy bundle (`dist/index.js` from `npm run build`) served by workerd through Miniflare,
 * with the bindings of bench/wrangler.bench.toml (and its -pooled twin's Hyperdrive binding when
 * given): what the bench's Worker contenders run and bench/profile.ts profiles.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_WORKER_NAME = "kepesertaan-bench";

export async function startWorkerd(options: {
  port: number;
  vars: Record<string, string>;
  hyperdrive?: string;
  /** Opens V8's inspector for the Worker at ws://127.0.0.1:<port>/kepesertaan-bench. */
  inspectorPort?: number;
  /** The Worker's console output (one log line per operation); dropped unless given. */
  stdout?: NodeJS.WritableStream;
}): Promise<{ url: string; dispose(): Promise<void> }> {
  const { convertV4MiniflareOptions, Miniflare, NoOpLog } = await import("miniflare");
  const bundle = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: BENCH_WORKER_NAME,
      modulesRoot: dirname(bundle),
      modules: [{ type: "ESModule", path: bundle }],
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: { ENVIRONMENT: "production", ...options.vars },
      ratelimits: { RATE_LIMITER: { namespace_id: "1002", simple: { limit: 1_000_000_000, period: 60 } } },
      ...(options.hyperdrive ? { hyperdrives: { HYPERDRIVE: options.hyperdrive } } : {}),
      ...(options.inspectorPort ? { inspectorPort: options.inspectorPort, unsafeInspectorProxy: true } : {}),
      host: "127.0.0.1",
      port: options.port,
      log: new NoOpLog(),
      handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
        if (options.stdout) stdout.pipe(options.stdout);
        else stdout.resume();
        stderr.pipe(process.stderr);
      },
    }),
  );
  await mf.ready;
  const url = `http://127.0.0.1:${options.port}`;
  const healthy = await fetch(`${url}/health`).then(
    (response) => response.ok,
    () => false,
  );
  if (!healthy) {
    await mf.dispose();
    throw new Error("the Worker under workerd did not answer /health");
  }
  return { url, dispose: () => mf.dispose() };
}
