/**
 * Counts service requests and keeps a bounded log of them. Only routing facts are recorded
 * (service, tenant, method, path, query, status, fault): never headers or bodies, which carry
 * tokens and secrets.
 *
 * `$batch` inner requests are kept apart: the outer `$batch` request counts once among the
 * service requests, its items count among the inner requests and ride in its log entry, so no
 * request is counted twice and the log stays one entry per HTTP request.
 */
import type { InnerRequestRecord, ServiceName } from "./context";

export interface RequestLogEntry {
  /** Virtual time, ISO 8601. */
  readonly at: string;
  readonly service: ServiceName;
  /** The tenant the request acted in: the token's for Graph, the customer for Partner Center, the path's for sign-in. */
  readonly tenantId: string | null;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /**
   * The HTTP status, or null when the connection was dropped or stalled before the request was
   * handled; after-apply faults keep the status of the answer that was lost.
   */
  readonly status: number | null;
  readonly fault: string | null;
  /** A `$batch` request's items, in the order they ran; absent on other requests. */
  readonly inner?: readonly InnerRequestRecord[];
}

export interface RequestCount {
  readonly service: ServiceName;
  readonly tenantId: string | null;
  readonly method: string;
  readonly path: string;
  readonly count: number;
}

/** The counters `GET /_emulator/requests` answers with. */
export interface RequestSummary {
  /** HTTP requests received, a `$batch` counting once. */
  readonly total: number;
  readonly byService: Record<string, number>;
  /** Per (service, tenant, method, path). */
  readonly counts: RequestCount[];
  /** `$batch` inner requests: how many ran, how many of them an injected fault answered, per fault kind, and per (tenant, method, path). */
  readonly inner: { readonly total: number; readonly byFault: Record<string, number>; readonly counts: RequestCount[] };
}

export class RequestLog {
  private readonly counts = new Map<string, RequestCount>();
  private readonly innerCounts = new Map<string, RequestCount>();
  private readonly innerByFault = new Map<string, number>();
  private entries: RequestLogEntry[] = [];

  constructor(private readonly capacity = 2000) {}

  record(entry: RequestLogEntry): void {
    increment(this.counts, entry.service, entry.tenantId, entry.method, entry.path);
    for (const item of entry.inner ?? []) {
      increment(this.innerCounts, entry.service, entry.tenantId, item.method, item.path);
      if (item.fault !== null) this.innerByFault.set(item.fault, (this.innerByFault.get(item.fault) ?? 0) + 1);
    }
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries = this.entries.slice(-this.capacity);
  }

  /** Totals per service, the per-(service, tenant, method, path) counters, and the same for inner requests. */
  summary(): RequestSummary {
    const counts = [...this.counts.values()];
    const byService: Record<string, number> = {};
    for (const c of counts) byService[c.service] = (byService[c.service] ?? 0) + c.count;
    const innerCounts = [...this.innerCounts.values()];
    return {
      total: sum(counts),
      byService,
      counts,
      inner: { total: sum(innerCounts), byFault: Object.fromEntries(this.innerByFault), counts: innerCounts },
    };
  }

  log(): readonly RequestLogEntry[] {
    return this.entries;
  }

  reset(): void {
    this.counts.clear();
    this.innerCounts.clear();
    this.innerByFault.clear();
    this.entries = [];
  }
}

function increment(counts: Map<string, RequestCount>, service: ServiceName, tenantId: string | null, method: string, path: string): void {
  const key = JSON.stringify([service, tenantId, method, path]);
  counts.set(key, { service, tenantId, method, path, count: (counts.get(key)?.count ?? 0) + 1 });
}

function sum(counts: readonly RequestCount[]): number {
  return counts.reduce((n, c) => n + c.count, 0);
}
