/**
 * Where a Worker's start-up goes: `npx tsx bench/startup.ts` (npm run bench runs it too).
 *
 * `wrangler check startup` runs the deploy bundle's global scope in workerd under the profiler.
 * It runs twice: on the bundle as deployed (minified: the total) and on the same build unminified,
 * whose `// <module path>` markers (esbuild's) say which module each profiled line belongs to, so
 * the start-up's CPU is charged to packages and to our own folders. Prints one JSON object.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "kepesertaan-startup-"));

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; lineNumber: number; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Runs `wrangler check startup` and returns its summary's figures and the profile. */
function checkStartup(args: string[]): { activeMs: number; gcMs: number; profile: Profile } {
  const outfile = join(work, `startup-${args.length}.cpuprofile`);
  const output = execFileSync("npx", ["wrangler", "check", "startup", "--outfile", outfile, ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const active = /Active: ([\d.]+) ms \(including ([\d.]+) ms garbage collection\)/.exec(output);
  if (!active) throw new Error(`wrangler check startup printed no summary:\n${output}`);
  return {
    activeMs: Number(active[1]),
    gcMs: Number(active[2]),
    profile: JSON.parse(readFileSync(outfile, "utf8")) as Profile,
  };
}

/** The package (`graphql`, `@pothos/core`) or our folder (`src/modules/participants`) a bundled module path names. */
function ownerOf(path: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inModules) return inModules[1] as string;
  const ours = /(?:^|\/)(src\/(?:modules\/[^/]+|[^/]+))/.exec(path);
  return ours ? (ours[1] as string).replace(/\.ts$/, "") : path;
}

/** Start-up CPU (ms) per package or folder, from the unminified bundle's module markers. */
function byModule(bundle: string, profile: Profile): [string, number][] {
  const lines = readFileSync(bundle, "utf8").split("\n");
  const moduleAt: string[] = [];
  let current = "(bundle prelude)";
  for (const line of lines) {
    const marker = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(line);
    if (marker) current = ownerOf(marker[1] as string);
    moduleAt.push(current);
  }
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame;
    const owner = !frame
      ? "other"
      : frame.functionName.startsWith("(")
        ? frame.functionName
        : frame.url.endsWith(".js")
          ? (moduleAt[frame.lineNumber] ?? "other")
          : "workerd";
    totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  totals.delete("(idle)");
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const deployed = checkStartup([]);
const plainDir = join(work, "plain");
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", plainDir, "--minify=false"], {
  cwd: root,
  stdio: "ignore",
});
// The same build the check makes, unminified, and its text, whose lines the profile names.
const plain = checkStartup(["--args=--minify=false"]);
const modules = byModule(join(plainDir, "index.js"), plain.profile);
console.log(
  JSON.stringify({
    deployedActiveMs: deployed.activeMs,
    deployedGcMs: deployed.gcMs,
    unminifiedActiveMs: plain.activeMs,
    byModule: modules.slice(0, 15).map(([owner, ms]) => ({ owner, ms: Math.round(ms * 10) / 10 })),
  }),
);
