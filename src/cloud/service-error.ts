/**
 * The one error type of the Microsoft clients: which service failed, with what HTTP status, what
 * code, under which request id, and what it said (secrets masked). A caller tells services apart
 * by `service`, never by reading the message. This module imports nothing, so a command line can
 * `instanceof` it without loading the HTTP stack or msal-node.
 *
 * It also reads the three services' error answers. Each body is checked field by field before a
 * field is used: a proxy's page, an empty body or a changed shape yields `null`, not a wrong code.
 */

/** The service that answered (or did not). The result model uses the same words. */
export type ServiceName = "graph" | "partner-center" | "entra-id";

export interface ServiceErrorFields {
  readonly service: ServiceName;
  /** HTTP status of the answer; null when none came (timeout, connection refused, TLS). */
  readonly status: number | null;
  /** The service's own code (Graph `error.code`, Partner Center `code`, `AADSTS…`), or what failed on the way. */
  readonly code: string;
  /** The service's request id (Graph `request-id`, Partner Center `MS-RequestId`, Entra ID `trace_id`), for Microsoft support. */
  readonly requestId: string | null;
  /** What the service said, first line, secrets masked: the cause a person can act on. */
  readonly detail: string;
}

/** A Microsoft service refused a request, or never answered it. */
export class ServiceError extends Error implements ServiceErrorFields {
  override readonly name: string = "ServiceError";
  readonly service: ServiceName;
  readonly status: number | null;
  readonly code: string;
  readonly requestId: string | null;
  readonly detail: string;

  /** `message` is the whole sentence for a person; the fields are for code. */
  constructor(fields: ServiceErrorFields, message: string) {
    super(message);
    this.service = fields.service;
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.detail = fields.detail;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading error answers
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(record: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = record[name];
  return typeof value === "string" ? value : null;
}

/** JSON text as a value; null for anything that is not JSON (a proxy's HTML page, an empty body). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Graph's error envelope `{ error: { code, message, innerError: { "request-id" } } }`. */
export interface GraphErrorBody {
  readonly code: string;
  readonly message: string | null;
  readonly requestId: string | null;
}

/** Graph's error envelope, or null when the body is not one (no `error` object with a string `code`). */
export function readGraphErrorBody(body: unknown): GraphErrorBody | null {
  if (!isRecord(body) || !isRecord(body["error"])) return null;
  const error = body["error"];
  const code = stringField(error, "code");
  if (code === null) return null;
  const inner = isRecord(error["innerError"]) ? error["innerError"] : isRecord(error["innererror"]) ? error["innererror"] : null;
  return { code, message: stringField(error, "message"), requestId: inner ? stringField(inner, "request-id") : null };
}

/** Partner Center's error envelope `{ code, description }`, or its gateway's 429 body `{ statusCode, message }`. */
export interface PartnerCenterErrorBody {
  /** "900421", "2032", ... (Partner Center sends it as a string or a number). */
  readonly code: string | null;
  readonly description: string;
}

/** Partner Center's error envelope, or null when the body carries neither a description nor a message. */
export function readPartnerCenterErrorBody(body: unknown): PartnerCenterErrorBody | null {
  if (!isRecord(body)) return null;
  const rawCode = body["code"];
  const code = typeof rawCode === "string" ? rawCode : typeof rawCode === "number" ? String(rawCode) : null;
  const description = stringField(body, "description") ?? stringField(body, "message");
  if (description === null && code === null) return null;
  return { code, description: description ?? "" };
}

/** The token endpoint's OAuth error answer `{ error, error_description, error_codes, trace_id }` (RFC 6749 §5.2, with Entra ID's additions). */
export interface EntraErrorBody {
  /** OAuth `error`: "invalid_grant", "invalid_client", ... */
  readonly error: string;
  readonly description: string;
  /** The AADSTS number: the first of `error_codes`, else the one `error_description` names. */
  readonly aadsts: number | null;
  readonly traceId: string | null;
}

/** The token endpoint's error answer, or null when the body has no OAuth `error`. */
export function readEntraErrorBody(body: unknown): EntraErrorBody | null {
  if (!isRecord(body)) return null;
  const error = stringField(body, "error");
  if (error === null) return null;
  const description = stringField(body, "error_description") ?? "";
  const codes = body["error_codes"];
  const first: unknown = Array.isArray(codes) ? codes[0] : undefined;
  return {
    error,
    description,
    aadsts: typeof first === "number" && Number.isInteger(first) ? first : aadstsIn(description),
    traceId: stringField(body, "trace_id"),
  };
}

/** The AADSTS number a text names ("AADSTS65001: ..."), or null. */
export function aadstsIn(text: string): number | null {
  const m = /AADSTS(\d+)/.exec(text);
  return m?.[1] ? Number(m[1]) : null;
}

/** A token endpoint success answer's rotated refresh token (RFC 6749 §5.1 `refresh_token`), or null. */
export function readRefreshToken(body: unknown): string | null {
  return isRecord(body) ? stringField(body, "refresh_token") : null;
}

/** A token endpoint success answer's `expires_in` in seconds, or null. Entra ID sends a number; some proxies a string. */
export function readExpiresIn(body: unknown): number | null {
  if (!isRecord(body)) return null;
  const seconds = Number(body["expires_in"]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** First line of a text, trimmed: Entra ID appends trace and correlation ids and a timestamp on later lines. */
export function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? "").trim();
}

/** The request never got an HTTP answer: connection refused or dropped, TLS refused, or timed out. */
export class HttpTransportError extends ServiceError {
  override readonly name: string = "HttpTransportError";
  constructor(
    message: string,
    readonly kind: "timeout" | "connection" | "tls",
    /** Attempts made, the failed last one included. */
    readonly attempts: number,
    service: ServiceName,
    /** The `client-request-id` the last attempt carried: the only id a service may have logged. */
    requestId: string | null = null,
  ) {
    super({ service, status: null, code: kind, requestId, detail: message }, message);
  }
}
