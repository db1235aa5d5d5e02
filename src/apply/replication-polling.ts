/**
 * Replication polling: the one policy by which a refresh or reset waits for what only time fixes
 * in Entra ID — CIPP-SAM's service principal after a consent, a resource service principal just
 * created, a write that refers to an object other replicas do not know yet, a delete that has not
 * reached the reads, a consent Partner Center could not post yet. Bounded attempts with
 * exponential backoff and jitter, never a fixed sleep (CIPP waits 5 s once and then fails). Retries
 * of one HTTP request (throttling, Retry-After, lost connections) are the HTTP client's, in src/cloud.
 */
import type { Timing } from "./timing";

/** How long to keep trying. Both bounds apply: whichever is reached first ends the wait. */
export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Delay before the second attempt; doubles each time. */
  readonly initialDelayMs: number;
  /** Ceiling of one delay. */
  readonly maxDelayMs: number;
  /** Ceiling of the time spent waiting in all. */
  readonly maxTotalMs: number;
}

/**
 * Waiting for a reading to show what replication brings: Entra ID usually converges within
 * seconds, sometimes within a few minutes; CIPP's onboarding waits up to 8 minutes.
 */
export const REPLICATION_WAIT: BackoffPolicy = {
  maxAttempts: 12,
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxTotalMs: 8 * 60_000,
};

/**
 * Sending again the writes that refer to objects not replicated yet: replication of a new object
 * usually takes seconds; such writes are retried for up to about two minutes before they are
 * reported as failed.
 */
export const WRITE_LAG_RETRY: BackoffPolicy = {
  maxAttempts: 6,
  initialDelayMs: 2_000,
  maxDelayMs: 30_000,
  maxTotalMs: 2 * 60_000,
};

/** The same policy with `maxAttempts` attempts in all (one: look once, do not wait). */
export function withAttempts(policy: BackoffPolicy, maxAttempts: number): BackoffPolicy {
  return { ...policy, maxAttempts };
}

/** The delay before attempt `attempt + 1` (attempt counts from 1), with jitter in [½, 1]. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const exponential = policy.initialDelayMs * 2 ** (attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + random() / 2));
}

/** What `pollUntil` found: the accepted value, or the last value seen when time ran out. */
export type PollOutcome<T> =
  | { readonly done: true; readonly value: T; readonly attempts: number }
  | { readonly done: false; readonly last: T; readonly attempts: number };

/**
 * Calls `attempt` until `accept` says its value is good, waiting with backoff in between,
 * within the policy's bounds, or until `hopeless` says waiting cannot help. Errors thrown by `attempt` propagate: only the caller knows
 * which failures are worth waiting out, and it says so by returning a value instead.
 */
export async function pollUntil<T>(
  attempt: () => Promise<T>,
  accept: (value: T) => boolean,
  policy: BackoffPolicy,
  timing: Timing,
  hopeless: (value: T) => boolean = () => false,
): Promise<PollOutcome<T>> {
  let waited = 0;
  for (let n = 1; ; n++) {
    const value = await attempt();
    if (accept(value)) return { done: true, value, attempts: n };
    // A value that no amount of waiting can change (a revoked credential) ends the wait at once.
    if (hopeless(value) || n >= policy.maxAttempts || waited >= policy.maxTotalMs) return { done: false, last: value, attempts: n };
    const delay = Math.min(backoffDelay(policy, n, timing.random), policy.maxTotalMs - waited);
    waited += delay;
    await timing.sleep(delay);
  }
}
