/**
 * Microsoft Graph v1.0 for one tenant: single requests, paged lists and `$batch` with per-item
 * retry of throttled requests. Graph's JSON shapes (the wire types) live here, beside the client.
 */
import type { HttpClient, HttpResponse } from "./http";
import { RequestCounter, parseRetryAfter, withoutQuery, type HttpMethod } from "./pipeline";
import { ServiceError, parseJsonBody, readGraphErrorBody } from "./service-error";

// ---------------------------------------------------------------------------------------------
// Wire types (Graph JSON, as the Microsoft Graph REST API v1.0 reference describes them)
// ---------------------------------------------------------------------------------------------

export interface GraphAppRole {
  readonly id: string;
  readonly value: string | null;
  readonly allowedMemberTypes?: readonly string[];
  readonly isEnabled?: boolean;
  readonly displayName?: string;
}

export interface GraphPermissionScope {
  readonly id: string;
  readonly value: string | null;
  readonly isEnabled?: boolean;
  readonly type?: string;
}

export interface GraphServicePrincipal {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly appRoles?: readonly GraphAppRole[];
  readonly oauth2PermissionScopes?: readonly GraphPermissionScope[];
}

export interface GraphAppRoleAssignment {
  readonly id: string;
  readonly principalId: string;
  readonly resourceId: string;
  readonly appRoleId: string;
  readonly resourceDisplayName?: string;
}

export interface GraphOAuth2PermissionGrant {
  readonly id: string;
  readonly clientId: string;
  readonly resourceId: string;
  readonly consentType: "AllPrincipals" | "Principal";
  readonly principalId: string | null;
  readonly scope: string;
}

export interface GraphServicePlan {
  readonly servicePlanId?: string;
  readonly servicePlanName: string;
  /** "Success", "Disabled", "PendingActivation", ... */
  readonly provisioningStatus?: string;
}

export interface GraphSubscribedSku {
  readonly skuId?: string;
  readonly skuPartNumber: string;
  readonly capabilityStatus?: string;
  readonly servicePlans: readonly GraphServicePlan[];
}

export interface GraphDelegatedAdminRelationship {
  readonly id: string;
  readonly displayName?: string;
  readonly status: string;
  readonly endDateTime?: string | null;
  /** ISO 8601 duration: "PT0S" or "P0D" (no auto-extend) or e.g. "P180D". */
  readonly autoExtendDuration?: string | null;
  readonly activatedDateTime?: string | null;
  readonly lastModifiedDateTime?: string | null;
  readonly customer: { readonly tenantId: string; readonly displayName?: string | null };
  readonly accessDetails: { readonly unifiedRoles: readonly { readonly roleDefinitionId: string }[] };
}

/** `delegatedAdminAccessAssignment`: roles of a relationship assigned to a partner security group. */
export interface GraphDelegatedAdminAccessAssignment {
  readonly id: string;
  /** "pending", "active", "deleting", "deleted", "error". */
  readonly status: string;
  readonly accessContainer?: { readonly accessContainerId: string; readonly accessContainerType: string } | null;
  readonly accessDetails?: { readonly unifiedRoles: readonly { readonly roleDefinitionId: string }[] } | null;
  readonly createdDateTime?: string | null;
  readonly lastModifiedDateTime?: string | null;
}

/** `tenantInformation`, from `findTenantInformationByTenantId`. */
export interface GraphTenantInformation {
  readonly tenantId: string;
  readonly displayName?: string | null;
  readonly defaultDomainName?: string | null;
  readonly federationBrandName?: string | null;
}

export interface GraphCollection<T> {
  readonly value: T[];
  readonly "@odata.nextLink"?: string;
}

/** One request of a `$batch`; `url` is relative to the version root, e.g. "/servicePrincipals?$filter=...". */
export interface BatchRequest {
  readonly id: string;
  readonly method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly dependsOn?: readonly string[];
}

export interface BatchResponse {
  readonly id: string;
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A Graph error answer (the `{ error: { code, message } }` envelope), or an answer Graph's client could not read. */
export class GraphError extends ServiceError {
  override readonly name: string = "GraphError";
  constructor(
    status: number,
    code: string,
    /** Graph's own message, verbatim (secrets masked). */
    readonly graphMessage: string,
    requestId: string | null,
    /** "GET /servicePrincipals", without query. */
    readonly request: string,
  ) {
    super(
      { service: "graph", status, code, requestId, detail: graphMessage },
      `Graph ${request} failed with HTTP ${status} ${code}: ${graphMessage}${requestId ? ` (request-id ${requestId})` : ""}`,
    );
  }
}

/**
 * Whether the error says the object is already there. Graph answers duplicates with 400 or 409 and
 * different codes; the message is the stable part (Microsoft Graph error responses and resource types).
 */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof GraphError && /already exists|already in use/i.test(err.graphMessage);
}

/** Whether the error says the object does not exist (404, or a directory "does not exist" message). */
export function isNotFound(err: unknown): boolean {
  return err instanceof GraphError && (err.status === 404 || /does not exist/i.test(err.graphMessage));
}

/** The error a failed batch item stands for. */
export function batchItemError(item: BatchResponse, request: BatchRequest, redact: (text: string) => string): GraphError {
  const envelope = readGraphErrorBody(item.body);
  return new GraphError(
    item.status,
    envelope?.code ?? `HTTP${item.status}`,
    redact(envelope?.message ?? "no error message"),
    item.headers["request-id"] ?? envelope?.requestId ?? null,
    `${request.method} ${withoutQuery(request.url)} (in $batch)`,
  );
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/** Supplies the bearer token; `fresh` asks for a new one (after a 401, or a consent change). */
export type TokenSupplier = (options: { fresh: boolean }) => Promise<string>;

export interface GraphClientOptions {
  /** The run's request pipeline: retry, pacing of writes, counting, redaction. */
  readonly http: HttpClient;
  /** Graph base without version, e.g. "https://graph.microsoft.com". */
  readonly baseUrl: string;
  readonly token: TokenSupplier;
  /** Tenant the token is for: writes are booked against its quotas. */
  readonly tenantId: string;
  /** Also counts this client's requests (a tenant's cost); the client always keeps its own count. */
  readonly counter?: RequestCounter;
}

const BATCH_LIMIT = 20;
const RETRYABLE_ITEM_STATUSES = new Set([429, 503, 504]);
const WRITE_METHODS = new Set(["POST", "PATCH", "DELETE", "PUT"]);

/** Graph v1.0 for one tenant's token. */
export class GraphClient {
  private readonly root: string;
  /** What this client sent; the counting policy of the pipeline fills it. */
  private readonly own = new RequestCounter();
  private readonly counters: readonly RequestCounter[];

  constructor(private readonly options: GraphClientOptions) {
    this.root = `${options.baseUrl.replace(/\/+$/, "")}/v1.0`;
    this.counters = options.counter ? [this.own, options.counter] : [this.own];
  }

  /** Top-level HTTP requests sent (retries included), for cost accounting. */
  get requestCount(): number {
    return this.own.graph;
  }

  /** GETs a path relative to /v1.0 (or an absolute URL, e.g. a nextLink). */
  get<T>(path: string, headers?: Record<string, string>): Promise<T> {
    return this.call<T>("GET", path, undefined, headers);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>("POST", path, body);
  }

  /** PATCH answers 204 on success; the result is then undefined. */
  patch<T = undefined>(path: string, body: unknown): Promise<T> {
    return this.call<T>("PATCH", path, body);
  }

  delete(path: string): Promise<void> {
    return this.call<undefined>("DELETE", path);
  }

  /** Every item of a collection, following `@odata.nextLink` verbatim. */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (let next: string | undefined = path; next !== undefined;) {
      const page: GraphCollection<T> = await this.get<GraphCollection<T>>(next);
      items.push(...page.value);
      next = page["@odata.nextLink"];
    }
    return items;
  }

  /**
   * Sends requests in `$batch`es of 20 and answers one response per request, in request order.
   * Items throttled or unavailable (429, 503, 504), and items that failed only because such an item
   * they depend on failed (424), are sent again in a new batch after the longest inner `Retry-After`
   * (backoff with jitter when none gave one), under the run's one retry policy: an item is sent at
   * most `maxAttempts` times and no wait starts past `maxTotalMs`.
   * Failed items stay in the answer with their status: the caller decides what an error means.
   * `dependsOn` must point at earlier requests of the same chunk of 20 or at requests that completed.
   */
  async batch(requests: readonly BatchRequest[]): Promise<BatchResponse[]> {
    const ids = new Set<string>();
    for (const r of requests) {
      if (ids.has(r.id)) throw new Error(`$batch request ids must be unique; "${r.id}" appears twice.`);
      ids.add(r.id);
    }
    const results = new Map<string, BatchResponse>();
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
      await this.batchChunk(requests.slice(i, i + BATCH_LIMIT), results);
    }
    return requests.map((r) => results.get(r.id) ?? missingItem(r.id));
  }

  private async batchChunk(chunk: readonly BatchRequest[], results: Map<string, BatchResponse>): Promise<void> {
    const retry = this.options.http.retry;
    const started = retry.now();
    let pending = chunk;
    for (let sends = 1; ; sends++) {
      const responses = await this.sendBatch(pending);
      const again = new Set<string>();
      for (const r of pending) {
        const item = responses.get(r.id);
        if (item && RETRYABLE_ITEM_STATUSES.has(item.status)) again.add(r.id);
      }
      // A 424 whose failed dependency is itself being retried is worth another go too.
      for (const r of pending) {
        const item = responses.get(r.id);
        if (item?.status === 424 && (r.dependsOn ?? []).some((d) => again.has(d))) again.add(r.id);
      }
      for (const r of pending) results.set(r.id, responses.get(r.id) ?? missingItem(r.id));
      if (again.size === 0) return;

      const retried = pending.filter((r) => again.has(r.id)).map((r) => results.get(r.id) ?? missingItem(r.id));
      const retryAfter = longestRetryAfter(retried, retry.now());
      const waitMs = retry.delayFor(sends, retryAfter);
      if (!retry.allows(sends, started, waitMs)) return;
      for (const counter of this.counters) counter.throttled += 1;
      await retry.wait({
        method: "POST",
        url: `${this.root}/$batch`,
        attempt: sends,
        reason: `${again.size} of ${pending.length} batch items throttled or unavailable`,
        delayMs: waitMs,
        fromRetryAfter: retryAfter !== null,
      });
      pending = pending
        .filter((r) => again.has(r.id))
        .map((r) => (r.dependsOn ? { ...r, dependsOn: r.dependsOn.filter((d) => again.has(d)) } : r));
    }
  }

  private async sendBatch(requests: readonly BatchRequest[]): Promise<Map<string, BatchResponse>> {
    const writes = requests.filter((r) => WRITE_METHODS.has(r.method)).length;
    const wire = {
      requests: requests.map((r) => ({
        id: r.id,
        method: r.method,
        url: r.url.startsWith("/") ? r.url : `/${r.url}`,
        ...(r.body !== undefined
          ? { body: r.body, headers: { "Content-Type": "application/json", ...r.headers } }
          : r.headers
            ? { headers: r.headers }
            : {}),
        ...(r.dependsOn && r.dependsOn.length > 0 ? { dependsOn: r.dependsOn } : {}),
      })),
    };
    const answer = await this.call<unknown>("POST", "/$batch", wire, undefined, writes);
    const out = new Map<string, BatchResponse>();
    for (const item of batchItems(answer)) out.set(item.id, item);
    return out;
  }

  /** `writes`: how many Graph writes the request carries (1 for a single write, the items' for a `$batch`). */
  private async call<T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    writes = method === "GET" ? 0 : 1,
  ): Promise<T> {
    const url = /^https?:\/\//.test(path) ? path : `${this.root}${path.startsWith("/") ? path : `/${path}`}`;
    let res = await this.sendOnce(method, url, body, headers, false, writes);
    // A cached token may have been revoked or issued before a change; one fresh token settles it.
    // The writes were booked with the first send: a 401 wrote nothing, but the quota is spent once per call.
    if (res.status === 401) res = await this.sendOnce(method, url, body, headers, true, 0);
    const request = `${method} ${withoutQuery(url).replace(this.root, "")}`;
    if (res.status >= 400) throw this.errorFrom(res, request);
    if (res.body === "") return undefined as T;
    try {
      return JSON.parse(res.body) as T;
    } catch {
      // A proxy or captive portal answering in Graph's place; JSON.parse's own message names neither the request nor the cause.
      const start = this.options.http.redactor.redact(res.body.slice(0, 200));
      throw new GraphError(
        res.status,
        "UnreadableResponse",
        `The answer is not JSON (is a proxy in between?): ${start}`,
        res.requestId,
        request,
      );
    }
  }

  private async sendOnce(
    method: HttpMethod,
    url: string,
    body: unknown,
    headers: Record<string, string> | undefined,
    fresh: boolean,
    writes: number,
  ): Promise<HttpResponse> {
    const token = await this.options.token({ fresh });
    for (const counter of this.counters) counter.noteToken(token);
    return this.options.http.send({
      service: "graph",
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(writes > 0 ? { writes: { tenantId: this.options.tenantId, count: writes } } : {}),
      counters: this.counters,
    });
  }

  /** The pipeline has masked the body of an error answer already. */
  private errorFrom(res: HttpResponse, request: string): GraphError {
    const envelope = readGraphErrorBody(parseJsonBody(res.body));
    return new GraphError(
      res.status,
      envelope?.code ?? `HTTP${res.status}`,
      envelope?.message ?? res.body.slice(0, 200),
      res.headers["request-id"] ?? envelope?.requestId ?? res.requestId,
      request,
    );
  }
}

/** The longest `Retry-After` among the items, or null when none gave one. */
function longestRetryAfter(items: readonly BatchResponse[], now: number): number | null {
  const waits = items.map((i) => parseRetryAfter(i.headers["retry-after"], now)).filter((w): w is number => w !== null);
  return waits.length > 0 ? Math.max(...waits) : null;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The items of a `$batch` answer `{ responses: [{ id, status, headers?, body? }] }`; malformed items are left out (and then count as missing). */
function batchItems(answer: unknown): BatchResponse[] {
  const responses = isRecord(answer) ? answer["responses"] : undefined;
  if (!Array.isArray(responses)) return [];
  const out: BatchResponse[] = [];
  for (const raw of responses as readonly unknown[]) {
    if (!isRecord(raw)) continue;
    const id = raw["id"];
    const status = raw["status"];
    if (typeof id !== "string" || typeof status !== "number") continue;
    out.push({ id, status, headers: lowerCaseKeys(raw["headers"]), body: raw["body"] ?? null });
  }
  return out;
}

/** A header value of a $batch item as text (Graph sends strings; anything else is kept readable). */
function headerText(value: unknown): string {
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

function lowerCaseKeys(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(headers)) {
    for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) out[k.toLowerCase()] = headerText(v);
  }
  return out;
}

/** Graph left an item out of its answer: treat it as a server failure, never as success. */
function missingItem(id: string): BatchResponse {
  return {
    id,
    status: 500,
    headers: {},
    body: { error: { code: "MissingBatchResponse", message: "Graph's $batch answer had no response for this request." } },
  };
}
