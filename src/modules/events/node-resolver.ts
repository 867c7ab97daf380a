/**
 * Name resolution for deliveries run under Node (servers, tests, benchmarks): every address the
 * system resolver gives for a host, so the delivery can refuse one in a special-use range. Never
 * imported by the Worker: Workers have no DNS API.
 */
import { lookup } from "node:dns/promises";
import type { HostResolver } from "./delivery";

export const nodeHostResolver: HostResolver = async (hostname) => {
  const answers = await lookup(hostname.replace(/^\[(.*)\]$/, "$1"), { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};
