/**
 * Token buckets that keep a fleet run under Microsoft's documented limits, so that requests wait
 * here instead of provoking 429s there. One budget is shared by every tenant of a run.
 */
import type { Clock, Sleep } from "./http";

/** A quota of `amount` per `windowMs`, refilled continuously. */
export interface Quota {
  readonly amount: number;
  readonly windowMs: number;
}

/** Graph's identity write quotas ("Microsoft Graph service-specific throttling limits", identity and access service limits). */
export interface GraphWriteLimits {
  /** Per application and tenant pair: 3,000 writes per 2 min 30 s. */
  readonly perAppTenant: Quota;
  /** Per application across all tenants: 35,000 writes per 5 min (the lower of two published figures). */
  readonly perApp: Quota;
  /** Per tenant across all applications: 18,000 writes per 5 min. */
  readonly perTenant: Quota;
}

/**
 * Headroom kept below each documented limit: other tools of the partner write with the same app,
 * and Graph throttles below its limits when busy.
 */
const HEADROOM = 0.9;

const scaled = (amount: number, windowMs: number): Quota => ({ amount: Math.floor(amount * HEADROOM), windowMs });

export const GRAPH_WRITE_LIMITS: GraphWriteLimits = {
  perAppTenant: scaled(3_000, 150_000),
  perApp: scaled(35_000, 300_000),
  perTenant: scaled(18_000, 300_000),
};

/** Partner Center application consents: 50 requests per second per application (Microsoft's page "Get customer consent as a Control Panel Vendor"). */
export const PARTNER_CENTER_LIMIT: Quota = scaled(50, 1_000);

/**
 * One token bucket, starting full. A take that exceeds the balance still reserves its tokens (the
 * balance goes negative) and waits until the refill covers it: callers are served in the order
 * they asked, and nobody can starve.
 */
export class TokenBucket {
  private balance: number;
  private updatedAt: number;
  private readonly ratePerMs: number;

  constructor(
    private readonly quota: Quota,
    private readonly clock: Clock,
  ) {
    if (quota.amount <= 0 || quota.windowMs <= 0)
      throw new Error(`A quota needs a positive amount and window (got ${quota.amount} per ${quota.windowMs} ms).`);
    this.balance = quota.amount;
    this.updatedAt = clock();
    this.ratePerMs = quota.amount / quota.windowMs;
  }

  /** Reserves `n` tokens now and tells how long the caller must wait before using them. */
  reserve(n: number): number {
    this.refill();
    this.balance -= n;
    return this.balance >= 0 ? 0 : Math.ceil(-this.balance / this.ratePerMs);
  }

  /** Tokens available now (negative while reservations are outstanding). */
  available(): number {
    this.refill();
    return this.balance;
  }

  private refill(): void {
    const now = this.clock();
    this.balance = Math.min(this.quota.amount, this.balance + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
  }
}

/** Paces Graph writes against the per-(app, tenant), per-app and per-tenant quotas at once. */
export class WriteBudget {
  private readonly app: TokenBucket;
  private readonly appTenant = new Map<string, TokenBucket>();
  private readonly tenant = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: GraphWriteLimits = GRAPH_WRITE_LIMITS,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {
    this.app = new TokenBucket(limits.perApp, clock);
  }

  /** Waits until `writes` Graph writes in `tenantId` fit every quota, and books them. */
  async take(request: { readonly tenantId: string; readonly writes: number }): Promise<void> {
    if (request.writes <= 0) return;
    const waits = [
      this.app.reserve(request.writes),
      bucketFor(this.appTenant, request.tenantId, this.limits.perAppTenant, this.clock).reserve(request.writes),
      bucketFor(this.tenant, request.tenantId, this.limits.perTenant, this.clock).reserve(request.writes),
    ];
    const wait = Math.max(...waits);
    if (wait > 0) await this.sleep(wait);
  }
}

/** Paces requests against one quota (Partner Center's per-application requests per second). */
export class RequestRate {
  private readonly bucket: TokenBucket;

  constructor(
    quota: Quota,
    clock: Clock,
    private readonly sleep: Sleep,
  ) {
    this.bucket = new TokenBucket(quota, clock);
  }

  /** Waits until `n` more requests fit the quota, and books them. */
  async take(n = 1): Promise<void> {
    const wait = this.bucket.reserve(n);
    if (wait > 0) await this.sleep(wait);
  }
}

function bucketFor(map: Map<string, TokenBucket>, key: string, quota: Quota, clock: Clock): TokenBucket {
  let bucket = map.get(key);
  if (!bucket) {
    bucket = new TokenBucket(quota, clock);
    map.set(key, bucket);
  }
  return bucket;
}
