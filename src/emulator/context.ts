/**
 * The contract between the emulator's HTTP server (routing, tokens, faults, throttling) and the
 * per-service handlers (Graph, Partner Center). A handler is a function of a parsed request and
 * this context; `$batch` calls the Graph handler once per inner request.
 */
import type { World } from "./world";

/** A parsed request, as the server hands it to a handler. */
export interface EmuRequest {
  readonly method: string;
  /** The path without the query string, percent-decoded per segment, e.g. "/v1.0/servicePrincipals". */
  readonly path: string;
  /** The raw query string without "?", e.g. "$filter=appId%20eq%20'...'". */
  readonly rawQuery: string;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, or undefined when there is none. */
  readonly body: unknown;
}

/** What a handler answers. A string body is sent as is; anything else as JSON. */
export interface EmuResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** For a `$batch`: the inner requests it ran, in the order they ran, for the request log (never sent). */
  readonly innerRequests?: readonly InnerRequestRecord[];
  /**
   * The answer is lost after the request was handled: "drop" closes the connection, "stall" holds
   * it (closed after `stallMs` virtual ms when not null). Never sent.
   */
  readonly lost?: { readonly kind: "drop" } | { readonly kind: "stall"; readonly stallMs: number | null };
}

/** One `$batch` inner request as the request log keeps it: routing facts only, never headers or bodies. */
export interface InnerRequestRecord {
  /** The item's id within its batch. */
  readonly id: string;
  readonly method: string;
  /** The versioned path, percent-decoded, e.g. "/v1.0/servicePrincipals"; a refused URL as it was sent. */
  readonly path: string;
  /** The raw query string without "?". */
  readonly query: string;
  /** The status the item was answered with (424 for a dependent of a failed item). */
  readonly status: number;
  /** The injected fault's kind, or null. */
  readonly fault: Fault["kind"] | null;
}

/** The virtual clock: tests speed it up or move it by hand; buckets and lag run on it. */
export interface Clock {
  /** Virtual milliseconds since the epoch. */
  now(): number;
}

/** The claims of an access token the emulator issued. */
export interface AccessTokenClaims {
  readonly aud: string;
  readonly iss: string;
  readonly tid: string;
  readonly appid: string;
  /** v2.0 tokens name the client here instead of `appid`; the emulator issues v1.0 tokens, as Graph and Partner Center accept. */
  readonly azp?: string;
  readonly oid?: string;
  readonly upn?: string;
  /** Delegated tokens: space-separated scopes. */
  readonly scp?: string;
  /** App-only tokens: app roles. */
  readonly roles?: readonly string[];
  readonly amr?: readonly string[];
  readonly idtyp: "user" | "app";
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: "missing" | "malformed" | "signature" | "expired" };

/** Verifies bearer tokens the emulator's token endpoint issued. */
export interface TokenVerifier {
  verify(authorizationHeader: string | undefined): TokenCheck;
}

/** The service a request is for, for fault profiles, counters and the request log. */
export type ServiceName = "login" | "graph" | "partnerCenter" | "control";

/** A fault decided for one request (or one `$batch` inner request). */
export type Fault =
  | { readonly kind: "none" }
  /** 429; `retryAfterSeconds` null sends no Retry-After header. */
  | { readonly kind: "throttle"; readonly retryAfterSeconds: number | null }
  | { readonly kind: "unavailable"; readonly retryAfterSeconds: number | null }
  /** Close the socket without handling the request; a `$batch` item is answered 503 instead, not run. */
  | { readonly kind: "drop" }
  /**
   * Hold the request unhandled (a `$batch` item: hold the whole batch's answer, the item not run);
   * the client's timeout must fire. `stallMs` closes the connection after that many virtual ms.
   */
  | { readonly kind: "stall"; readonly stallMs: number | null }
  /** Handle the request, then close the socket without answering; a `$batch` item is run, then answered 504. */
  | { readonly kind: "drop-after-apply" }
  /** Handle the request, then hold the answer (a `$batch` item: run it, hold the whole batch's answer). */
  | { readonly kind: "stall-after-apply"; readonly stallMs: number | null };

/** What a fault rule can be aimed at. */
export interface FaultRequest {
  readonly service: ServiceName;
  readonly method: string;
  /** The path with its version, e.g. "/v1.0/servicePrincipals" (a `$batch` item's too). */
  readonly path: string;
  /** Whether this is a `$batch` inner request. */
  readonly inner: boolean;
  /** The tenant the request acts in (token tenant for Graph, customer for Partner Center, path tenant for sign-in); null when unknown. */
  readonly tenantId: string | null;
  /** The parsed body, for rules that count each distinct request apart. */
  readonly body?: unknown;
}

export interface FaultInjector {
  /** Decides the fault for a request. */
  decide(request: FaultRequest): Fault;
  /** Replication lag in virtual ms applied to objects created now (0 when off). */
  replicationLagMs(): number;
  /** Replication lag in virtual ms of a change of this kind made now (0 when off). */
  lagMs(change: "create" | "update" | "delete"): number;
}

/** The outcome of charging a Graph request against the identity service's token buckets. */
export type ThrottleDecision =
  | { readonly ok: true; readonly resourceUnits: number; readonly limitPercentage: number | null }
  | {
      readonly ok: false;
      readonly resourceUnits: number;
      readonly retryAfterSeconds: number;
      /** e.g. "Tenant_Application/ReadWrite/{appId}/{tenantId}" */
      readonly scope: string;
      readonly information: "WriteLimitExceeded" | "ResourceUnitLimitExceeded";
    };

export interface GraphThrottle {
  /**
   * Charges one Graph request (an inner `$batch` request counts on its own) made by `appId` in
   * `tenantId`. `resourceUnits` is the documented cost; `isWrite` adds one write.
   */
  charge(appId: string, tenantId: string, resourceUnits: number, isWrite: boolean): ThrottleDecision;
}

/** Generates ids as Entra ID does (GUIDs; base64url composite keys for grants and assignments). */
export interface IdGenerator {
  guid(): string;
  /** 16 random bytes, for the tail of an appRoleAssignment id. */
  randomBytes(n: number): Buffer;
}

/** Everything a handler needs. */
export interface EmulatorContext {
  readonly world: World;
  readonly clock: Clock;
  readonly tokens: TokenVerifier;
  readonly faults: FaultInjector;
  readonly throttle: GraphThrottle;
  readonly ids: IdGenerator;
  /** The base URL clients use, e.g. "https://127.0.0.1:41234" (for @odata.nextLink). */
  readonly baseUrl: string;
}

/** A handler for one service. */
export type Handler = (req: EmuRequest, ctx: EmulatorContext) => Promise<EmuResponse> | EmuResponse;
