/**
 * The civil registry (Dukcapil) over HTTP, as the agency's gateway exposes its verification
 * service: one POST per person, a match result back (docs/operators.md, "Connecting the civil
 * registry verifier", has the contract). Every attempt has a timeout; timeouts, network errors,
 * 429 and 5xx are retried with exponential backoff and jitter; a circuit breaker stops calling a
 * registry that keeps failing and tries again after a while. Registry trouble is an answer
 * (`UNAVAILABLE`), never a thrown error, so the check's own backoff takes over. The reply is read
 * for the decision only and never logged or kept.
 */
import { z } from "zod";
import { CircuitBreaker, type CircuitBreakerPolicy } from "./circuit-breaker";
import type { IdentityQuery, IdentityVerifier, RegistryAnswer, VerifierResult } from "./verifier";

export const HTTP_VERIFIER_VERSION = "dukcapil-http/1";

export interface HttpVerifierConfig {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  /** The first retry's wait; each further one doubles it, plus up to as much again of jitter. */
  backoffMs?: number;
  breaker?: CircuitBreakerPolicy;
  /** Injected in tests: waiting and the breaker's clock. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** The registry's reply: per field "sesuai" (matches) and a score, and whether the person is alive. */
const registryReply = z.object({
  status: z.enum(["FOUND", "NOT_FOUND"]),
  nama_lgkp: z.object({ sesuai: z.boolean(), skor: z.number().min(0).max(100) }).nullish(),
  tgl_lhr: z.object({ sesuai: z.boolean() }).nullish(),
  status_hidup: z.enum(["HIDUP", "MENINGGAL"]).nullish(),
  foto: z.object({ skor: z.number().min(0).max(100) }).nullish(),
});

/** A reply as the decision reads it (RegistryAnswer). */
export function answerFrom(reply: z.infer<typeof registryReply>): RegistryAnswer {
  if (reply.status === "NOT_FOUND") {
    return { nikFound: false, name: null, birthDateMatches: null, deceased: false, faceMatchScore: null };
  }
  return {
    nikFound: true,
    name: reply.nama_lgkp ? { matches: reply.nama_lgkp.sesuai, similarity: reply.nama_lgkp.skor / 100 } : null,
    birthDateMatches: reply.tgl_lhr ? reply.tgl_lhr.sesuai : null,
    deceased: reply.status_hidup === "MENINGGAL",
    faceMatchScore: reply.foto ? reply.foto.skor / 100 : null,
  };
}

/** Five failures in a row open the circuit for 30 seconds. */
const defaultBreakerPolicy: CircuitBreakerPolicy = { failureThreshold: 5, openMs: 30_000 };

/** Breakers outlive one verifier: a Worker isolate builds a verifier per queue batch. */
const breakers = new Map<string, CircuitBreaker>();

function sharedBreaker(endpoint: string, policy: CircuitBreakerPolicy): CircuitBreaker {
  const existing = breakers.get(endpoint);
  if (existing) return existing;
  const breaker = new CircuitBreaker(policy);
  breakers.set(endpoint, breaker);
  return breaker;
}

export function httpVerifier(config: HttpVerifierConfig): IdentityVerifier {
  const timeoutMs = config.timeoutMs ?? 3_000;
  const retries = config.retries ?? 2;
  const backoffMs = config.backoffMs ?? 200;
  const sleep = config.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = config.random ?? Math.random;
  const policy = config.breaker ?? defaultBreakerPolicy;
  const breaker = config.now ? new CircuitBreaker(policy, config.now) : sharedBreaker(config.endpoint, policy);

  /** One POST: an answer, or why not and whether another attempt may help. */
  async function attempt(query: IdentityQuery, signal?: AbortSignal): Promise<VerifierResult> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(config.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "x-client-id": config.clientId,
          authorization: `Bearer ${config.clientSecret}`,
        },
        body: JSON.stringify({
          nik: query.nik,
          nama_lgkp: query.fullName,
          tgl_lhr: query.birthDate,
          ...(query.faceImageRef ? { foto_ref: query.faceImageRef } : {}),
        }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      return { kind: "UNAVAILABLE", reason: timedOut ? "timeout" : "network error", retryable: true };
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      return { kind: "UNAVAILABLE", reason: `HTTP ${response.status}`, retryable: true };
    }
    if (!response.ok) {
      // Credentials refused, a request the gateway does not accept: asking again changes nothing.
      await response.body?.cancel();
      return { kind: "UNAVAILABLE", reason: `HTTP ${response.status}`, retryable: false };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return { kind: "UNAVAILABLE", reason: "malformed reply", retryable: true };
    }
    const parsed = registryReply.safeParse(body);
    // A reply of another shape is the gateway's contract broken, not a passing failure; it is
    // still retried later by the check's own backoff, in case a deploy is rolled back.
    if (!parsed.success) return { kind: "UNAVAILABLE", reason: "unexpected reply", retryable: true };
    return { kind: "ANSWERED", answer: answerFrom(parsed.data) };
  }

  return {
    version: HTTP_VERIFIER_VERSION,
    async verify(query, options) {
      let result: VerifierResult = { kind: "UNAVAILABLE", reason: "circuit open", retryable: true };
      for (let tries = 0; tries <= retries; tries++) {
        if (!breaker.allows()) return { kind: "UNAVAILABLE", reason: "circuit open", retryable: true };
        result = await attempt(query, options?.signal);
        if (result.kind === "ANSWERED") {
          breaker.succeeded();
          return result;
        }
        breaker.failed();
        if (!result.retryable || tries === retries) return result;
        const wait = backoffMs * 2 ** tries;
        await sleep(wait + Math.floor(random() * wait));
      }
      return result;
    },
  };
}
