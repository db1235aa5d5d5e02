/**
 * Microsoft Graph v1.0 for one tenant: single requests, paged lists and `$batch` with per-item
 * retry of throttled requests. Graph's JSON shapes (the wire types) live here, beside the client.
 */
import { parseRetryAfter, withoutQuery, type HttpClient, type HttpResponse, type RetryEvent } from "./http";
import type { WriteBudget } from "./rate-limit";

// ---------------------------------------------------------------------------------------------
// Wire types (Graph JSON, microsoft-apis §3)
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

/** A Graph error answer (the `{ error: { code, message } }` envelope). */
export class GraphError extends Error {
  override readonly name = "GraphError";
  constructor(
    readonly status: number,
    readonly code: string,
    /** Graph's own message, verbatim (secrets masked). */
    readonly graphMessage: string,
    readonly requestId: string | null,
    /** "GET /servicePrincipals", without query. */
    readonly request: string,
  ) {
    super(`Graph ${request} failed with HTTP ${status} ${code}: ${graphMessage}${requestId ? ` (request-id ${requestId})` : ""}`);
  }
}

/**
 * Whether the error says the object is already there. Graph answers duplicates with 400 or 409 and
 * different codes; the message is the stable part (microsoft-apis §3.2).
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
  const envelope = (item.body ?? {}) as { error?: { code?: unknown; message?: unknown; innerError?: { "request-id"?: unknown } } };
  const requestId = item.headers["request-id"] ?? envelope.error?.innerError?.["request-id"];
  return new GraphError(
    item.status,
    typeof envelope.error?.code === "string" ? envelope.error.code : `HTTP${item.status}`,
    redact(typeof envelope.error?.message === "string" ? envelope.error.message : "no error message"),
    typeof requestId === "string" ? requestId : null,
    `${request.method} ${withoutQuery(request.url)} (in $batch)`,
  );
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/** Supplies the bearer token; `fresh` asks for a new one (after a 401, or a consent change). */
export type TokenSupplier = (options: { fresh: boolean }) => Promise<string>;

export interface GraphClientOptions {
  readonly http: HttpClient;
  /** Graph base without version, e.g. "https://graph.microsoft.com". */
  readonly baseUrl: string;
  readonly token: TokenSupplier;
  /** Tenant the token is for: writes are booked against its quotas. */
  readonly tenantId: string;
  /** Shared write pacing; absent: writes are not paced. */
  readonly writeBudget?: WriteBudget;
  /** Rounds of `$batch` item retries after the first send. @default 5 */
  readonly maxBatchRetries?: number;
  readonly onRetry?: (event: RetryEvent) => void;
}

const BATCH_LIMIT = 20;
const RETRYABLE_ITEM_STATUSES = new Set([429, 503, 504]);
const WRITE_METHODS = new Set(["POST", "PATCH", "DELETE", "PUT"]);

/** Graph v1.0 for one tenant's token. */
export class GraphClient {
  private readonly root: string;
  /** Top-level HTTP requests sent (retries included), for cost accounting. */
  requestCount = 0;

  constructor(private readonly options: GraphClientOptions) {
    this.root = `${options.baseUrl.replace(/\/+$/, "")}/v1.0`;
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
    return this.call<void>("DELETE", path);
  }

  /** Every item of a collection, following `@odata.nextLink` verbatim. */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (let next: string | undefined = path; next !== undefined; ) {
      const page: GraphCollection<T> = await this.get<GraphCollection<T>>(next);
      items.push(...page.value);
      next = page["@odata.nextLink"];
    }
    return items;
  }

  /**
   * Sends requests in `$batch`es of 20 and answers one response per request, in request order.
   * Items throttled or unavailable (429, 503, 504), and items that failed only because such an item
   * they depend on failed (424), are sent again in a new batch after the longest inner `Retry-After`.
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
    return requests.map((r) => results.get(r.id) as BatchResponse);
  }

  private async batchChunk(chunk: readonly BatchRequest[], results: Map<string, BatchResponse>): Promise<void> {
    const maxRetries = this.options.maxBatchRetries ?? 5;
    let pending = chunk;
    for (let round = 0; ; round++) {
      const responses = await this.sendBatch(pending);
      const retry = new Set<string>();
      for (const r of pending) {
        const item = responses.get(r.id);
        if (item && RETRYABLE_ITEM_STATUSES.has(item.status)) retry.add(r.id);
      }
      // A 424 whose failed dependency is itself being retried is worth another go too.
      for (const r of pending) {
        const item = responses.get(r.id);
        if (item?.status === 424 && (r.dependsOn ?? []).some((d) => retry.has(d))) retry.add(r.id);
      }
      for (const r of pending) {
        const item = responses.get(r.id) ?? missingItem(r.id);
        results.set(r.id, item);
      }
      if (retry.size === 0 || round >= maxRetries) return;

      const waitMs = this.longestItemWait([...retry].map((id) => results.get(id) as BatchResponse), round + 1);
      this.options.onRetry?.({
        method: "POST",
        url: `${this.root}/$batch`,
        attempt: round + 1,
        reason: `${retry.size} of ${pending.length} batch items throttled or unavailable`,
        delayMs: waitMs,
        fromRetryAfter: [...retry].some((id) => results.get(id)?.headers["retry-after"] !== undefined),
      });
      await this.options.http.sleep(waitMs);
      pending = pending
        .filter((r) => retry.has(r.id))
        .map((r) => (r.dependsOn ? { ...r, dependsOn: r.dependsOn.filter((d) => retry.has(d)) } : r));
    }
  }

  /** The longest `Retry-After` among throttled items (capped); backoff when none gave one. */
  private longestItemWait(items: readonly BatchResponse[], round: number): number {
    const http = this.options.http;
    const now = http.clock();
    const waits = items.map((i) => parseRetryAfter(i.headers["retry-after"], now)).filter((w): w is number => w !== null);
    return waits.length > 0 ? http.delayFor(round, Math.max(...waits)) : http.delayFor(round, null);
  }

  private async sendBatch(requests: readonly BatchRequest[]): Promise<Map<string, BatchResponse>> {
    const writes = requests.filter((r) => WRITE_METHODS.has(r.method)).length;
    if (writes > 0) await this.options.writeBudget?.take({ tenantId: this.options.tenantId, writes });
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
    const answer = await this.call<{ responses?: unknown }>("POST", "/$batch", wire, undefined, false);
    const out = new Map<string, BatchResponse>();
    for (const raw of Array.isArray(answer.responses) ? answer.responses : []) {
      const item = raw as { id?: unknown; status?: unknown; headers?: unknown; body?: unknown };
      if (typeof item.id !== "string" || typeof item.status !== "number") continue;
      out.set(item.id, { id: item.id, status: item.status, headers: lowerCaseKeys(item.headers), body: item.body ?? null });
    }
    return out;
  }

  private async call<T>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    pace = true,
  ): Promise<T> {
    if (pace && method !== "GET") await this.options.writeBudget?.take({ tenantId: this.options.tenantId, writes: 1 });
    const url = /^https?:\/\//.test(path) ? path : `${this.root}${path.startsWith("/") ? path : `/${path}`}`;
    let res = await this.sendOnce(method, url, body, headers, false);
    // A cached token may have been revoked or issued before a change; one fresh token settles it.
    if (res.status === 401) res = await this.sendOnce(method, url, body, headers, true);
    const request = `${method} ${withoutQuery(url).replace(this.root, "")}`;
    if (res.status >= 400) throw this.errorFrom(res, request);
    if (res.body === "") return undefined as T;
    try {
      return JSON.parse(res.body) as T;
    } catch {
      // A proxy or captive portal answering in Graph's place; JSON.parse's own message names neither the request nor the cause.
      const start = this.options.http.redactor.redact(res.body.slice(0, 200));
      throw new GraphError(res.status, "UnreadableResponse", `The answer is not JSON (is a proxy in between?): ${start}`, res.headers["request-id"] ?? null, request);
    }
  }

  private async sendOnce(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string> | undefined,
    fresh: boolean,
  ): Promise<HttpResponse> {
    const token = await this.options.token({ fresh });
    const res = await this.options.http.send({
      method: method as "GET",
      url,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    this.requestCount += res.attempts;
    return res;
  }

  private errorFrom(res: HttpResponse, request: string): GraphError {
    let envelope: { error?: { code?: unknown; message?: unknown } } = {};
    try {
      envelope = JSON.parse(res.body) as typeof envelope;
    } catch {
      // Not Graph's envelope (a proxy's page); the status speaks for itself.
    }
    const redact = (t: string) => this.options.http.redactor.redact(t);
    return new GraphError(
      res.status,
      typeof envelope.error?.code === "string" ? envelope.error.code : `HTTP${res.status}`,
      redact(typeof envelope.error?.message === "string" ? envelope.error.message : res.body.slice(0, 200)),
      res.headers["request-id"] ?? null,
      request,
    );
  }
}

function lowerCaseKeys(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers && typeof headers === "object") {
    for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
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
