/**
 * CPU accounting for contenders that run in other processes (workerd under `wrangler dev`), read
 * from Linux's /proc: what the kernel charged the process, user + system, in clock ticks.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** `pid`, `ppid`, command name, and CPU ticks (user + system) from one /proc/<pid>/stat line. */
export function parseStat(line: string): { pid: number; ppid: number; name: string; ticks: number } {
  // The command name is parenthesised and may itself hold spaces or parentheses: split after the last ')'.
  const close = line.lastIndexOf(")");
  const name = line.slice(line.indexOf("(") + 1, close);
  const fields = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // After the name: state(3) ppid(4) … utime(14) stime(15), numbered as in proc(5).
  return {
    pid: Number(line.slice(0, line.indexOf(" "))),
    ppid: Number(fields[1]),
    name,
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

function stat(pid: number) {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null; // gone
  }
}

/** CPU time `pid` has used so far, ms (10 ms resolution: sums over thousands of requests are fine). */
export function processCpuMs(pid: number): number {
  const found = stat(pid);
  return found ? (found.ticks * 1000) / TICKS_PER_SECOND : 0;
}

/**
 * The workerd process below `root` that runs the Worker. `wrangler dev` starts two: its dev proxy,
 * which listens on the port asked for and forwards each request (production has no such hop), and
 * the Worker's own, listening on a port of its choosing; the first is left out by its command line
 * when its `proxyPort` is given.
 */
export function workerdProcessesOf(root: number | undefined, proxyPort?: number): number[] {
  if (root === undefined) return [];
  const all = readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => stat(Number(entry)))
    .filter((entry) => entry !== null);
  const below = new Set([root]);
  // Parents are usually listed before their children, but not always: repeat until nothing is added.
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of all) {
      if (!below.has(entry.pid) && below.has(entry.ppid)) {
        below.add(entry.pid);
        grew = true;
      }
    }
  }
  return all
    .filter((entry) => below.has(entry.pid) && entry.name === "workerd")
    .filter(
      (entry) =>
        proxyPort === undefined || !commandLine(entry.pid).includes(`--socket-addr=entry=127.0.0.1:${proxyPort} `),
    )
    .map((entry) => entry.pid);
}

function commandLine(pid: number): string {
  try {
    return `${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")} `;
  } catch {
    return "";
  }
}
