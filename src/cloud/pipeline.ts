/**
 * The request pipeline every Microsoft request goes through (token endpoint, Graph, Partner
 * Center), in the manner of the Azure SDK's pipeline policies (@azure/core-rest-pipeline): each
 * concern is one policy that sees the request on its way out and the response on its way back,
 * and the policies are composed once per run. From the outside in:
 *
 *   request id ─► redaction ─► pacing (write budget, Partner Center rate) ─► retry ─► counting ─► transport
 *
 * Pacing sits outside retry, so a request books its quota once however often it is retried;
 * counting sits inside, so every attempt on the wire is counted.
 */
import { randomUUID } from "node:crypto";
import type { Clock, Random, Sleep } from "./environment";
import type { RequestRate, WriteBudget } from "./rate-limit";
import type { SecretRedactor } from "./secrets";
import { HttpTransportError, type ServiceName } from "./service-error";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";

export interface PipelineRequest {
  /** Who is asked: decides the request id headers, the retryable statuses' meaning and the counters. */
  readonly service: ServiceName;
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Statuses worth retrying for this service. @default 429, 503, 504 */
  readonly retryStatuses?: ReadonlySet<number>;
  /** Graph writes the request carries (a `$batch` may carry many), booked against the run's write budget before it leaves. */
  readonly writes?: { readonly tenantId: string; readonly count: number };
  /** Counters that tally this request's attempts, besides the run's own (a client's, a tenant's). */
  readonly counters?: readonly RequestCounter[];
}

export interface PipelineResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Attempts it took (1 = no retry). */
  readonly attempts: number;
  /** The service's id for the request (Graph `request-id`, Entra ID `x-ms-request-id`), else the id this client sent. */
  readonly requestId: string | null;
}

export type SendRequest = (request: PipelineRequest) => Promise<PipelineResponse>;

/** One stage of the pipeline: do something around `next`. */
export interface PipelinePolicy {
  readonly name: string;
  sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse>;
}

/** The policies around the transport; the first policy is the outermost. */
export function composePipeline(policies: readonly PipelinePolicy[], transport: SendRequest): SendRequest {
  return policies.reduceRight<SendRequest>((next, policy) => (request) => policy.sendRequest(request, next), transport);
}

/** The same request with headers added (existing ones, in any case, win). */
export function withHeaders(request: PipelineRequest, extra: Readonly<Record<string, string>>): PipelineRequest {
  const have = new Set(Object.keys(request.headers ?? {}).map((k) => k.toLowerCase()));
  const added = Object.entries(extra).filter(([k]) => !have.has(k.toLowerCase()));
  return added.length === 0 ? request : { ...request, headers: { ...Object.fromEntries(added), ...request.headers } };
}

function header(headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Request ids
// ---------------------------------------------------------------------------------------------

/**
 * Sends a `client-request-id` (Graph and Entra ID log it and echo it back) unless the caller set
 * one (msal-node does), and answers the service's own request id: Graph's `request-id`, Entra ID's
 * `x-ms-request-id`, else Partner Center's `MS-RequestId` or the client id sent. One id per call:
 * retries carry the same one, as the Azure SDK's request id policy does.
 */
export function requestIdPolicy(newId: () => string = randomUUID): PipelinePolicy {
  return {
    name: "requestId",
    async sendRequest(request, next) {
      const sent = withHeaders(request, { "client-request-id": newId() });
      const response = await next(sent);
      const ours = header(sent.headers, "ms-requestid") ?? header(sent.headers, "client-request-id") ?? null;
      return { ...response, requestId: response.headers["request-id"] ?? response.headers["x-ms-request-id"] ?? ours };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------

/**
 * Keeps secrets out of what comes back: the bearer token a request carries is registered (a
 * server may echo it), error answers' bodies are masked before any caller builds a message from
 * them, and a transport failure's message is masked. Success bodies stay as they are: they carry
 * the tokens the run needs.
 */
export function redactionPolicy(redactor: SecretRedactor): PipelinePolicy {
  return {
    name: "redaction",
    async sendRequest(request, next) {
      const bearer = /^bearer\s+(\S+)$/i.exec(header(request.headers, "authorization") ?? "");
      if (bearer?.[1]) redactor.register(bearer[1]);
      try {
        const response = await next(request);
        return response.status >= 400 ? { ...response, body: redactor.redact(response.body) } : response;
      } catch (err) {
        if (!(err instanceof HttpTransportError)) throw err;
        const masked = redactor.redact(err.message);
        throw masked === err.message ? err : new HttpTransportError(masked, err.kind, err.attempts, err.service, err.requestId);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Pacing
// ---------------------------------------------------------------------------------------------

export interface PacingOptions {
  /** Graph write quotas shared by every tenant of the run; absent: writes are not paced. */
  readonly writeBudget?: WriteBudget;
  /** Partner Center's requests per second per application; absent: not paced. */
  readonly partnerCenterRate?: RequestRate;
}

/** Waits until the request fits the run's quotas, once per request (retries are not booked again). */
export function pacingPolicy(options: PacingOptions): PipelinePolicy {
  return {
    name: "pacing",
    async sendRequest(request, next) {
      if (request.writes && request.writes.count > 0) {
        await options.writeBudget?.take({ tenantId: request.writes.tenantId, writes: request.writes.count });
      }
      if (request.service === "partner-center") await options.partnerCenterRate?.take();
      return next(request);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Retry
// ---------------------------------------------------------------------------------------------

/** How persistently a request is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included. For `$batch` items: sends of an item, the first included. */
  readonly maxAttempts: number;
  /** No retry starts once this much time has passed since the first attempt (waits included). */
  readonly maxTotalMs: number;
  /** A server's `Retry-After` is honoured up to this wait. */
  readonly maxRetryAfterMs: number;
  /** First backoff ceiling when the server gives no `Retry-After`; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Backoff ceiling. */
  readonly maxDelayMs: number;
}

/** Defaults in the spirit of the Graph SDK's retry handler, with room for Partner Center's 60 s waits. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxTotalMs: 10 * 60_000,
  maxRetryAfterMs: 180_000,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
};

const DEFAULT_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/** Told before every retry wait, for progress output and logs. */
export interface RetryEvent {
  readonly method: string;
  /** The URL without its query string (queries can carry identifiers users did not ask to log). */
  readonly url: string;
  /** The attempt that failed (1 = the first). */
  readonly attempt: number;
  /** Why: "HTTP 429", "HTTP 503", "timeout", "connection: ECONNRESET", "2 of 5 batch items throttled or unavailable"... */
  readonly reason: string;
  readonly delayMs: number;
  /** Whether the wait came from the server's `Retry-After`. */
  readonly fromRetryAfter: boolean;
}

/**
 * The one retry decision of the run, used by the retry policy for whole requests and by the Graph
 * client for `$batch` items: how long to wait, and whether another attempt is still allowed.
 */
export class RetryStrategy {
  constructor(
    readonly policy: RetryPolicy,
    private readonly clock: Clock,
    private readonly random: Random,
    readonly sleep: Sleep,
    private readonly onRetry?: (event: RetryEvent) => void,
  ) {}

  /**
   * The wait before the next attempt: the server's `Retry-After` (capped) when given, otherwise
   * exponential backoff with full jitter so that many clients do not retry in step.
   */
  delayFor(failedAttempt: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) return Math.min(retryAfterMs, this.policy.maxRetryAfterMs);
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (failedAttempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  /** Whether attempt `failedAttempt + 1` may start after `delayMs` more, for a request first sent at `startedAt`. */
  allows(failedAttempt: number, startedAt: number, delayMs: number): boolean {
    return failedAttempt < this.policy.maxAttempts && this.clock() - startedAt + delayMs <= this.policy.maxTotalMs;
  }

  now(): number {
    return this.clock();
  }

  /** Tells the listener, then waits. */
  async wait(event: RetryEvent): Promise<void> {
    this.onRetry?.(event);
    await this.sleep(event.delayMs);
  }
}

/**
 * Retries retryable statuses and transport failures (not TLS refusals: only a trust change helps),
 * honouring `Retry-After`, bounded in attempts and total time. The last response is answered
 * even when it is an error status; the caller decides what an error means.
 */
export function retryPolicy(strategy: RetryStrategy): PipelinePolicy {
  return {
    name: "retry",
    async sendRequest(request, next) {
      const retryStatuses = request.retryStatuses ?? DEFAULT_RETRY_STATUSES;
      const started = strategy.now();
      for (let attempt = 1; ; attempt++) {
        let outcome: PipelineResponse | HttpTransportError;
        try {
          outcome = { ...(await next(request)), attempts: attempt };
        } catch (err) {
          if (!(err instanceof HttpTransportError)) throw err;
          outcome = new HttpTransportError(err.message, err.kind, attempt, err.service, err.requestId);
        }
        const retryable = outcome instanceof HttpTransportError ? outcome.kind !== "tls" : retryStatuses.has(outcome.status);
        if (!retryable) return settle(outcome);

        const retryAfterMs = outcome instanceof HttpTransportError ? null : parseRetryAfter(outcome.headers["retry-after"], strategy.now());
        const delayMs = strategy.delayFor(attempt, retryAfterMs);
        if (!strategy.allows(attempt, started, delayMs)) return settle(outcome);
        if (!(outcome instanceof HttpTransportError) && isThrottling(outcome)) for (const c of request.counters ?? []) c.throttled += 1;

        await strategy.wait({
          method: request.method,
          url: withoutQuery(request.url),
          attempt,
          reason: outcome instanceof HttpTransportError ? `${outcome.kind}: ${outcome.message}` : `HTTP ${outcome.status}`,
          delayMs,
          fromRetryAfter: retryAfterMs !== null,
        });
      }
    },
  };
}

/** A 429, or a 503 that says when to come back: the service is shedding load, not failing. */
function isThrottling(response: Pick<PipelineResponse, "status" | "headers">): boolean {
  return response.status === 429 || (response.status === 503 && response.headers["retry-after"] !== undefined);
}

function settle(outcome: PipelineResponse | HttpTransportError): PipelineResponse {
  if (outcome instanceof HttpTransportError) throw outcome;
  return outcome;
}

/** The URL without query string or fragment, for messages and logs. */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * `Retry-After` in milliseconds: seconds as a float (Graph sends "2.128") or an HTTP date.
 * Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(parseFloat(trimmed) * 1000);
  // Every HTTP-date form starts with the day name. Date.parse alone takes junk such as "-1" for a
  // date in 2001, which would turn a malformed header into an immediate retry instead of backoff.
  if (!HTTP_DATE_START.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

const HTTP_DATE_START = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

// ---------------------------------------------------------------------------------------------
// Counting
// ---------------------------------------------------------------------------------------------

/** HTTP requests on the wire (retries included), per service, for cost accounting. */
export class RequestCounter {
  graph = 0;
  partnerCenter = 0;
  token = 0;
  /** Throttled answers (429, or 503 with Retry-After) that were retried, `$batch` items' rounds included. */
  throttled = 0;
  private readonly tokens = new Set<string>();

  record(service: ServiceName): void {
    if (service === "graph") this.graph += 1;
    else if (service === "partner-center") this.partnerCenter += 1;
    else this.token += 1;
  }

  /** Notes an access token used on this counter's behalf; `distinctTokens` tells how many there were. */
  noteToken(token: string): void {
    this.tokens.add(token);
  }

  get distinctTokens(): number {
    return this.tokens.size;
  }
}

/** Counts every attempt that reaches the wire, in the run's counter and in the request's own counters. */
export function countingPolicy(run: RequestCounter): PipelinePolicy {
  return {
    name: "counting",
    async sendRequest(request, next) {
      run.record(request.service);
      for (const counter of request.counters ?? []) counter.record(request.service);
      return next(request);
    },
  };
}
