/**
 * The one HTTP layer every Microsoft client goes through (token endpoint, Graph, Partner Center):
 * an undici dispatcher configured once (extra CA certificates, timeouts), and a retry policy that
 * honours `Retry-After` and is bounded in attempts and in total time.
 */
import { rootCertificates } from "node:tls";
import { Agent, request, type Dispatcher } from "undici";
import { SecretRedactor } from "./secrets";

/** Milliseconds since the epoch; injected so tests and benchmarks control time. */
export type Clock = () => number;
/** Waits the given milliseconds; injected so tests never wait for real time. */
export type Sleep = (ms: number) => Promise<void>;
/** A number in [0, 1), like Math.random; injected so backoff jitter is reproducible. */
export type Random = () => number;

export const realClock: Clock = () => Date.now();
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How persistently a request is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
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

/** Told before every retry wait, for progress output and logs. */
export interface RetryEvent {
  readonly method: string;
  /** The URL without its query string (queries can carry identifiers users did not ask to log). */
  readonly url: string;
  /** The attempt that failed (1 = the first). */
  readonly attempt: number;
  /** Why: "HTTP 429", "HTTP 503", "timeout", "connection: ECONNRESET"... */
  readonly reason: string;
  readonly delayMs: number;
  /** Whether the wait came from the server's `Retry-After`. */
  readonly fromRetryAfter: boolean;
}

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Statuses worth retrying for this service. @default 429, 503, 504 */
  readonly retryStatuses?: ReadonlySet<number>;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Attempts it took (1 = no retry). */
  readonly attempts: number;
}

/** The request never got an HTTP answer: connection refused or dropped, TLS refused, or timed out. */
export class HttpTransportError extends Error {
  override readonly name = "HttpTransportError";
  constructor(
    message: string,
    readonly kind: "timeout" | "connection" | "tls",
    readonly attempts: number,
  ) {
    super(message);
  }
}

export const DEFAULT_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

export interface HttpClientOptions {
  readonly dispatcher?: Dispatcher;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly random?: Random;
  readonly retry?: Partial<RetryPolicy>;
  /** A response that has not started (headers) or stalls (body) for this long is abandoned and retried. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Resolves once `ms` have passed on the run's clock, without making them pass (unlike `sleep`,
   * which a test may implement by moving its clock). When given, `timeoutMs` is measured with it
   * instead of with undici's real-time timers, so a run on a virtual clock times out on that clock.
   */
  readonly timer?: Sleep;
  readonly onRetry?: (event: RetryEvent) => void;
  readonly redactor?: SecretRedactor;
}

/** Sends requests with bounded retries; answers every HTTP response, throws only when none came. */
export class HttpClient {
  readonly redactor: SecretRedactor;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  readonly policy: RetryPolicy;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly timeoutMs: number;
  private readonly timer: Sleep | undefined;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: HttpClientOptions = {}) {
    this.dispatcher = options.dispatcher;
    this.clock = options.clock ?? realClock;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.timer = options.timer;
    this.onRetry = options.onRetry;
    this.redactor = options.redactor ?? new SecretRedactor();
  }

  /**
   * Sends the request, retrying retryable statuses and transport failures. The last response is
   * returned even when it is an error status; the caller decides what an error means.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const retryStatuses = req.retryStatuses ?? DEFAULT_RETRY_STATUSES;
    const started = this.clock();
    for (let attempt = 1; ; attempt++) {
      let outcome: HttpResponse | HttpTransportError;
      try {
        outcome = await this.once(req, attempt);
      } catch (err) {
        outcome = this.transportError(err, req, attempt);
      }
      const retryable = outcome instanceof HttpTransportError ? outcome.kind !== "tls" : retryStatuses.has(outcome.status);
      if (!retryable) return settle(outcome);

      const retryAfterMs = outcome instanceof HttpTransportError ? null : parseRetryAfter(outcome.headers["retry-after"], this.clock());
      const delayMs = this.delayFor(attempt, retryAfterMs);
      const elapsed = this.clock() - started;
      if (attempt >= this.policy.maxAttempts || elapsed + delayMs > this.policy.maxTotalMs) return settle(outcome);

      this.onRetry?.({
        method: req.method,
        url: withoutQuery(req.url),
        attempt,
        reason: outcome instanceof HttpTransportError ? `${outcome.kind}: ${outcome.message}` : `HTTP ${outcome.status}`,
        delayMs,
        fromRetryAfter: retryAfterMs !== null,
      });
      await this.sleep(delayMs);
    }
  }

  /**
   * The wait before the next attempt: the server's `Retry-After` (capped) when given, otherwise
   * exponential backoff with full jitter so that many clients do not retry in step.
   */
  delayFor(failedAttempt: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) return Math.min(retryAfterMs, this.policy.maxRetryAfterMs);
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (failedAttempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async once(req: HttpRequest, attempt: number): Promise<HttpResponse> {
    if (this.timer === undefined) return this.exchange(req, attempt, { headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    // The run's own clock decides the timeout: undici's real-time timers are switched off and the
    // request is aborted when the timer fires first (headers or body still outstanding).
    const controller = new AbortController();
    let settled = false;
    void this.timer(this.timeoutMs).then(() => {
      if (!settled) controller.abort(new RequestTimeout());
    });
    try {
      return await this.exchange(req, attempt, { headersTimeout: 0, bodyTimeout: 0, signal: controller.signal });
    } finally {
      settled = true;
    }
  }

  private async exchange(
    req: HttpRequest,
    attempt: number,
    limits: { readonly headersTimeout: number; readonly bodyTimeout: number; readonly signal?: AbortSignal },
  ): Promise<HttpResponse> {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers ? { ...req.headers } : {},
      body: req.body ?? null,
      ...limits,
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: flattenHeaders(res.headers), body, attempts: attempt };
  }

  private transportError(err: unknown, req: HttpRequest, attempt: number): HttpTransportError {
    const code = errorCode(err);
    const where = `${req.method} ${withoutQuery(req.url)}`;
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || isRequestTimeout(err)) {
      return new HttpTransportError(`${where}: no response within ${this.timeoutMs} ms`, "timeout", attempt);
    }
    if (code !== null && TLS_ERRORS.has(code)) {
      return new HttpTransportError(
        `${where}: the server's TLS certificate is not trusted (${code}). ` +
          "If a TLS-inspecting proxy or the sandbox sits in between, trust its CA certificate (the CLI's --ca-file or CIPP_CPV_CA_FILE, the Action's ca-certificates input).",
        "tls",
        attempt,
      );
    }
    const detail = this.redactor.redact(err instanceof Error ? err.message : String(err));
    return new HttpTransportError(`${where}: ${code ?? "connection failed"} (${detail})`, "connection", attempt);
  }
}

/** The reason a request is aborted with when the injected timer fires. */
class RequestTimeout extends Error {
  override readonly name = "RequestTimeout";
  constructor() {
    super("request timed out");
  }
}

/** Whether undici gave up because the injected timer aborted the request (the reason may sit on a cause). */
function isRequestTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RequestTimeout) return true;
  }
  return false;
}

/** Certificate failures: retrying cannot help, the trust configuration must change. */
const TLS_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function settle(outcome: HttpResponse | HttpTransportError): HttpResponse {
  if (outcome instanceof HttpTransportError) throw outcome;
  return outcome;
}

function errorCode(err: unknown): string | null {
  // undici wraps socket failures in a generic UND_ERR_SOCKET; the telling code sits on the cause.
  let generic: string | null = null;
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (code !== "UND_ERR_SOCKET") return code;
    generic ??= code;
  }
  return generic;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
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

export interface DispatcherOptions {
  /** Extra CA certificates (PEM) trusted in addition to Node's bundled roots, e.g. a TLS-inspecting proxy's. */
  readonly caCertificates?: readonly string[];
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
}

/** An undici dispatcher for every Microsoft endpoint, trusting the extra CA certificates given. */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
  const extra = options.caCertificates ?? [];
  return new Agent({
    connect: {
      timeout: options.connectTimeoutMs ?? 10_000,
      // `ca` replaces Node's roots rather than adding to them, so the roots are listed too.
      ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
    },
  });
}
