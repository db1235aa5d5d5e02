/**
 * Counts what crosses the wire from the client's side: Graph `$batch` items by kind, and 429
 * answers both whole and inside batches. The emulator counts top-level requests only; writes and
 * throttled batch items are only visible in the bodies, so the benchmark reads them here.
 */
import type { Dispatcher } from "undici";

/** Counts since the tally was made or last reset. */
export interface WireCounts {
  /** HTTP requests sent, token requests included, a `$batch` counting once (retries each count). */
  readonly requests: number;
  /** Requests to the sign-in service: the token endpoint, and msal's instance discovery and metadata reads. */
  readonly tokenRequests: number;
  /** Writes sent as requests of their own (POST, PATCH, PUT, DELETE outside `$batch` and the token endpoint). */
  readonly directWrites: number;
  /** The most requests that were in flight at one time. */
  readonly peakInFlight: number;
  /** Items of `$batch` requests that write (POST, PATCH, PUT, DELETE): Graph's unit of write quota. */
  readonly batchWrites: number;
  readonly batchReads: number;
  /** Whole responses with status 429. */
  readonly throttledResponses: number;
  /** `$batch` response items with status 429. */
  readonly throttledBatchItems: number;
}

export interface WireTally {
  /** `base` with the tally listening to every request it carries. */
  readonly dispatcher: Dispatcher;
  counts(): WireCounts;
  reset(): void;
}

const WRITE_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Entra ID's paths: the token endpoint, instance discovery, OpenID metadata. */
const SIGN_IN_PATH = /\/oauth2\/v2\.0\/token$|\/discovery\/instance$|\/\.well-known\/openid-configuration$/;

/** Wraps `base` so that every request through it is counted. */
export function wireTally(base: Dispatcher): WireTally {
  let counts = zero();
  let inFlight = 0;
  const add = (change: Partial<WireCounts>): void => {
    counts = {
      requests: counts.requests + (change.requests ?? 0),
      tokenRequests: counts.tokenRequests + (change.tokenRequests ?? 0),
      directWrites: counts.directWrites + (change.directWrites ?? 0),
      peakInFlight: Math.max(counts.peakInFlight, change.peakInFlight ?? 0),
      batchWrites: counts.batchWrites + (change.batchWrites ?? 0),
      batchReads: counts.batchReads + (change.batchReads ?? 0),
      throttledResponses: counts.throttledResponses + (change.throttledResponses ?? 0),
      throttledBatchItems: counts.throttledBatchItems + (change.throttledBatchItems ?? 0),
    };
  };

  const interceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    const path = options.path.split("?")[0] ?? "";
    const isBatch = options.method === "POST" && path.endsWith("/$batch");
    const isToken = SIGN_IN_PATH.test(path);
    inFlight++;
    add({
      requests: 1,
      tokenRequests: isToken ? 1 : 0,
      directWrites: !isBatch && !isToken && WRITE_METHODS.has(options.method.toUpperCase()) ? 1 : 0,
      peakInFlight: inFlight,
    });
    if (isBatch) add(countItems(options.body));
    let settled = false;
    const settle = (): void => {
      if (!settled) inFlight--;
      settled = true;
    };
    const chunks: Buffer[] = [];
    let status = 0;
    // `compose` hands interceptors handlers that speak undici's controller API.
    return dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) => {
        status = statusCode;
        if (statusCode === 429) add({ throttledResponses: 1 });
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
      },
      onResponseData: (controller, chunk) => {
        if (isBatch && status === 200) chunks.push(chunk);
        handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd: (controller, trailers) => {
        settle();
        if (chunks.length > 0) add({ throttledBatchItems: throttledItems(Buffer.concat(chunks).toString("utf8")) });
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => {
        settle();
        handler.onResponseError?.(controller, error);
      },
    });
  };

  return {
    dispatcher: base.compose(interceptor),
    counts: () => counts,
    reset: () => void (counts = { ...zero(), peakInFlight: inFlight }),
  };
}

function zero(): WireCounts {
  return {
    requests: 0,
    tokenRequests: 0,
    directWrites: 0,
    peakInFlight: 0,
    batchWrites: 0,
    batchReads: 0,
    throttledResponses: 0,
    throttledBatchItems: 0,
  };
}

function countItems(body: unknown): Partial<WireCounts> {
  const text = typeof body === "string" ? body : Buffer.isBuffer(body) ? body.toString("utf8") : null;
  const requests = text === null ? [] : (parse(text) as { requests?: { method?: unknown }[] } | null)?.requests;
  if (!Array.isArray(requests)) return {};
  const writes = requests.filter((r) => typeof r.method === "string" && WRITE_METHODS.has(r.method.toUpperCase())).length;
  return { batchWrites: writes, batchReads: requests.length - writes };
}

function throttledItems(text: string): number {
  const responses = (parse(text) as { responses?: { status?: unknown }[] } | null)?.responses;
  return Array.isArray(responses) ? responses.filter((r) => r.status === 429).length : 0;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
