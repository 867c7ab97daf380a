/**
 * The load generator, in its own process: `tsx bench/load.ts '<json spec>'`. Runs autocannon for a
 * warm-up (discarded) and then `rounds` measured rounds, and prints one JSON line with req/s and
 * exact p50/p95/p99 over every measured response.
 */
import autocannon from "autocannon";
import { type LoadSpec, requestFor } from "./scenarios";

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;

let graphqlErrors = 0;

function round(seconds: number, record: number[] | null): Promise<autocannon.Result> {
  let sequence = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => {
              sequence += 1;
              return { ...request, ...requestFor(spec, sequence + Math.floor(Math.random() * 1e9)) };
            },
            // A GraphQL error arrives with status 200: count it as the failure it is.
            onResponse: (_status, body) => {
              if (record && body.includes('"errors"')) graphqlErrors += 1;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (record) instance.on("response", (_client, _status, _bytes, responseTime) => record.push(responseTime));
  });
}

const warmup = await round(spec.warmupSeconds, null);
// The runner reads the contender's counters between warm-up and measurement, then says go.
if (spec.pauseAfterWarmup) {
  console.log("warmed");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();
}
const latencies: number[] = [];
let requests = 0;
let sentMeasured = 0;
let seconds = 0;
let errors = 0;
for (let i = 0; i < spec.rounds; i++) {
  const result = await round(spec.seconds, latencies);
  requests += result.requests.total;
  sentMeasured += result.requests.sent;
  seconds += result.duration;
  errors += result.errors + result.timeouts + result.non2xx;
}
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const round2 = (ms: number) => Math.round(ms * 100) / 100;
console.log(
  JSON.stringify({
    rps: requests / seconds,
    p50: round2(at(0.5)),
    p95: round2(at(0.95)),
    p99: round2(at(0.99)),
    errors: errors + graphqlErrors,
    requests,
    // Everything sent, warm-up included.
    sent: requests + warmup.requests.sent,
    // Sent in the measured rounds, answered or still in flight when a round ended: what a
    // contender that counts no requests itself served in that window.
    sentMeasured,
  }),
);
