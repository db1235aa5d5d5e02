/**
 * Counts service requests and keeps a bounded log of them. Only routing facts are recorded
 * (service, tenant, method, path, query, status, fault): never headers or bodies, which carry
 * tokens and secrets.
 */
import type { ServiceName } from "./context";

export interface RequestLogEntry {
  /** Virtual time, ISO 8601. */
  readonly at: string;
  readonly service: ServiceName;
  readonly tenantId: string | null;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** The HTTP status, or null when the connection was dropped or stalled. */
  readonly status: number | null;
  readonly fault: string | null;
}

export interface RequestCount {
  readonly service: ServiceName;
  readonly tenantId: string | null;
  readonly method: string;
  readonly path: string;
  readonly count: number;
}

export class RequestLog {
  private readonly counts = new Map<string, RequestCount>();
  private entries: RequestLogEntry[] = [];

  constructor(private readonly capacity = 2000) {}

  record(entry: RequestLogEntry): void {
    const key = JSON.stringify([entry.service, entry.tenantId, entry.method, entry.path]);
    const previous = this.counts.get(key);
    this.counts.set(key, {
      service: entry.service,
      tenantId: entry.tenantId,
      method: entry.method,
      path: entry.path,
      count: (previous?.count ?? 0) + 1,
    });
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries = this.entries.slice(-this.capacity);
  }

  /** Totals per service and the per-(service, tenant, method, path) counters. */
  summary(): { total: number; byService: Record<string, number>; counts: RequestCount[] } {
    const counts = [...this.counts.values()];
    const byService: Record<string, number> = {};
    for (const c of counts) byService[c.service] = (byService[c.service] ?? 0) + c.count;
    return { total: counts.reduce((n, c) => n + c.count, 0), byService, counts };
  }

  log(): readonly RequestLogEntry[] {
    return this.entries;
  }

  reset(): void {
    this.counts.clear();
    this.entries = [];
  }
}
