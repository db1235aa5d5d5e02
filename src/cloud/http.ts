/**
 * The HTTP layer every Microsoft client goes through (token endpoint, Graph, Partner Center): the
 * run's request pipeline (request ids, redaction, pacing, retry, counting; see ./pipeline) over
 * undici, through one dispatcher configured once (extra CA certificates, timeouts).
 */
import { rootCertificates } from "node:tls";
import { Agent, request, type Dispatcher } from "undici";
import { environmentOf, type Clock, type Environment, type Random, type Sleep } from "./environment";
import {
  DEFAULT_RETRY_POLICY,
  RequestCounter,
  RetryStrategy,
  composePipeline,
  countingPolicy,
  pacingPolicy,
  redactionPolicy,
  requestIdPolicy,
  retryPolicy,
  withoutQuery,
  type PipelineRequest,
  type PipelineResponse,
  type RetryEvent,
  type RetryPolicy,
  type SendRequest,
} from "./pipeline";
import { PARTNER_CENTER_LIMIT, RequestRate, type WriteBudget } from "./rate-limit";
import { SecretRedactor } from "./secrets";
import { HttpTransportError, type ServiceName } from "./service-error";

export { type Clock, type Random, type Sleep } from "./environment";
export { parseRetryAfter, type RetryEvent, type RetryPolicy } from "./pipeline";
export { HttpTransportError } from "./service-error";

/** A request as clients hand it to the pipeline. */
export type HttpRequest = PipelineRequest;
export type HttpResponse = PipelineResponse;

export interface HttpClientOptions extends Partial<Environment> {
  readonly retry?: Partial<RetryPolicy>;
  /** A response that has not started (headers) or stalls (body) for this long is abandoned and retried. @default 60000 */
  readonly timeoutMs?: number;
  readonly onRetry?: (event: RetryEvent) => void;
  /** The run's one redactor; a new one when absent. */
  readonly redactor?: SecretRedactor;
  /** Graph write pacing shared by every tenant of the run; absent: writes are not paced. */
  readonly writeBudget?: WriteBudget;
  /** Partner Center's per-application rate. @default 90% of 50 requests per second */
  readonly partnerCenterRate?: RequestRate;
  /** @default crypto.randomUUID */
  readonly newRequestId?: () => string;
}

/**
 * The run's request pipeline: answers every HTTP response (error statuses included, the caller
 * decides what they mean), throws an HttpTransportError only when none came.
 */
export class HttpClient {
  readonly redactor: SecretRedactor;
  readonly environment: Environment;
  readonly retry: RetryStrategy;
  /** Every attempt on the wire this run, per service. */
  readonly counter = new RequestCounter();
  private readonly pipeline: SendRequest;

  constructor(options: HttpClientOptions = {}) {
    this.environment = environmentOf(options);
    const { clock, sleep, random } = this.environment;
    this.redactor = options.redactor ?? new SecretRedactor();
    this.retry = new RetryStrategy({ ...DEFAULT_RETRY_POLICY, ...options.retry }, clock, random, sleep, options.onRetry);
    const transport = new UndiciTransport(options.timeoutMs ?? 60_000, this.environment);
    this.pipeline = composePipeline(
      [
        requestIdPolicy(options.newRequestId),
        redactionPolicy(this.redactor),
        pacingPolicy({
          ...(options.writeBudget ? { writeBudget: options.writeBudget } : {}),
          partnerCenterRate: options.partnerCenterRate ?? new RequestRate(PARTNER_CENTER_LIMIT, clock, sleep),
        }),
        retryPolicy(this.retry),
        countingPolicy(this.counter),
      ],
      (req) => transport.send(req),
    );
  }

  get clock(): Clock {
    return this.environment.clock;
  }

  get sleep(): Sleep {
    return this.environment.sleep;
  }

  get random(): Random {
    return this.environment.random;
  }

  get policy(): RetryPolicy {
    return this.retry.policy;
  }

  /** Sends the request through the pipeline. */
  send(req: HttpRequest): Promise<HttpResponse> {
    return this.pipeline(req);
  }

  /** See RetryStrategy.delayFor. */
  delayFor(failedAttempt: number, retryAfterMs: number | null): number {
    return this.retry.delayFor(failedAttempt, retryAfterMs);
  }
}

/** One attempt over undici: the pipeline's innermost stage. */
class UndiciTransport {
  constructor(
    private readonly timeoutMs: number,
    private readonly environment: Environment,
  ) {}

  async send(req: PipelineRequest): Promise<PipelineResponse> {
    try {
      return await this.once(req);
    } catch (err) {
      throw this.transportError(err, req);
    }
  }

  private async once(req: PipelineRequest): Promise<PipelineResponse> {
    const timer = this.environment.timer;
    if (timer === undefined) return this.exchange(req, { headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    // The run's own clock decides the timeout: undici's real-time timers are switched off and the
    // request is aborted when the timer fires first (headers or body still outstanding).
    const controller = new AbortController();
    let settled = false;
    void timer(this.timeoutMs).then(() => {
      if (!settled) controller.abort(new RequestTimeout());
    });
    try {
      return await this.exchange(req, { headersTimeout: 0, bodyTimeout: 0, signal: controller.signal });
    } finally {
      settled = true;
    }
  }

  private async exchange(
    req: PipelineRequest,
    limits: { readonly headersTimeout: number; readonly bodyTimeout: number; readonly signal?: AbortSignal },
  ): Promise<PipelineResponse> {
    const dispatcher = this.environment.dispatcher;
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers ? { ...req.headers } : {},
      body: req.body ?? null,
      ...limits,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: flattenHeaders(res.headers), body, attempts: 1, requestId: null };
  }

  private transportError(err: unknown, req: PipelineRequest): HttpTransportError {
    const code = errorCode(err);
    const where = `${req.method} ${withoutQuery(req.url)}`;
    const service: ServiceName = req.service;
    const sentId = req.headers?.["client-request-id"] ?? null;
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || isRequestTimeout(err)) {
      return new HttpTransportError(`${where}: no response within ${this.timeoutMs} ms`, "timeout", 1, service, sentId);
    }
    if (code !== null && TLS_ERRORS.has(code)) {
      return new HttpTransportError(
        `${where}: the server's TLS certificate is not trusted (${code}). ` +
          "If a TLS-inspecting proxy or the sandbox sits in between, trust its CA certificate (the CLI's --ca-file or CIPP_CPV_CA_FILE, the Action's ca-certificates input).",
        "tls",
        1,
        service,
        sentId,
      );
    }
    // The redaction policy masks secrets in this message on its way out.
    const detail = err instanceof Error ? err.message : String(err);
    return new HttpTransportError(`${where}: ${code ?? "connection failed"} (${detail})`, "connection", 1, service, sentId);
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
