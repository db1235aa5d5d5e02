/**
 * Rate limits on the virtual clock: the identity service's token buckets for Graph ("Identity and
 * access service limits" in Graph's "Microsoft Graph service-specific throttling limits") and
 * Partner Center's 50 requests per second per application (Partner Center's Control Panel Vendor
 * APIs page, "Get customer consent as a Control Panel Vendor").
 */
import type { Clock, GraphThrottle, ThrottleDecision } from "./context";

/** A bucket of `capacity` units that refills fully over `windowMs`, continuously. */
class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    readonly capacity: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + ((now - this.last) * this.capacity) / this.windowMs);
    this.last = now;
  }

  /** Seconds until `amount` units are available (0 when they are). */
  waitSeconds(amount: number, now: number): number {
    this.refill(now);
    if (this.level >= amount) return 0;
    return ((amount - this.level) * this.windowMs) / this.capacity / 1000;
  }

  take(amount: number): void {
    this.level -= amount;
  }

  /** Fraction of the capacity in use. */
  usage(): number {
    return 1 - this.level / this.capacity;
  }
}

/** The documented identity limits, before scaling. */
export const IDENTITY_LIMITS = {
  resourceUnitsPerAppTenant: { S: 3_500, M: 5_000, L: 8_000, windowMs: 10_000 },
  resourceUnitsPerApp: { capacity: 150_000, windowMs: 20_000 },
  writesPerAppTenant: { capacity: 3_000, windowMs: 150_000 },
  writesPerApp: { capacity: 35_000, windowMs: 300_000 },
  writesPerTenant: { capacity: 18_000, windowMs: 300_000 },
} as const;

export interface GraphThrottleSettings {
  readonly enabled: boolean;
  /** Multiplies every capacity (0.01 = one hundredth of the real limits), so tests reach them. */
  readonly scale: number;
}

/** Graph's identity-service token buckets; when disabled it only reports the cost. */
export class IdentityThrottle implements GraphThrottle {
  private buckets = new Map<string, TokenBucket>();
  private settings: GraphThrottleSettings = { enabled: false, scale: 1 };

  constructor(
    private readonly clock: Clock,
    private readonly tenantSize: (tenantId: string) => "S" | "M" | "L",
  ) {}

  configure(settings: GraphThrottleSettings): void {
    if (!(settings.scale > 0)) throw new Error(`Throttle scale must be > 0, got ${settings.scale}.`);
    this.settings = settings;
    this.buckets.clear();
  }

  get current(): GraphThrottleSettings {
    return this.settings;
  }

  charge(appId: string, tenantId: string, resourceUnits: number, isWrite: boolean): ThrottleDecision {
    const units = Math.max(1, resourceUnits);
    if (!this.settings.enabled) return { ok: true, resourceUnits: units, limitPercentage: null };
    const now = this.clock.now();
    const L = IDENTITY_LIMITS;
    const checks: {
      bucket: TokenBucket;
      amount: number;
      scope: string;
      information: "WriteLimitExceeded" | "ResourceUnitLimitExceeded";
    }[] = [
      {
        bucket: this.bucket(
          `ru|${appId}|${tenantId}`,
          L.resourceUnitsPerAppTenant[this.tenantSize(tenantId)],
          L.resourceUnitsPerAppTenant.windowMs,
          now,
        ),
        amount: units,
        scope: `Tenant_Application/Read/${appId}/${tenantId}`,
        information: "ResourceUnitLimitExceeded",
      },
      {
        bucket: this.bucket(`ru|${appId}`, L.resourceUnitsPerApp.capacity, L.resourceUnitsPerApp.windowMs, now),
        amount: units,
        scope: `Application/Read/${appId}`,
        information: "ResourceUnitLimitExceeded",
      },
    ];
    if (isWrite) {
      checks.push(
        {
          bucket: this.bucket(`w|${appId}|${tenantId}`, L.writesPerAppTenant.capacity, L.writesPerAppTenant.windowMs, now),
          amount: 1,
          scope: `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
          information: "WriteLimitExceeded",
        },
        {
          bucket: this.bucket(`w|${appId}`, L.writesPerApp.capacity, L.writesPerApp.windowMs, now),
          amount: 1,
          scope: `Application/ReadWrite/${appId}`,
          information: "WriteLimitExceeded",
        },
        {
          bucket: this.bucket(`wt|${tenantId}`, L.writesPerTenant.capacity, L.writesPerTenant.windowMs, now),
          amount: 1,
          scope: `Tenant/ReadWrite/${tenantId}`,
          information: "WriteLimitExceeded",
        },
      );
    }
    // Check every bucket before taking from any, so a refused request costs nothing.
    let worst: (typeof checks)[number] | undefined;
    let worstWait = 0;
    for (const c of checks) {
      const wait = c.bucket.waitSeconds(c.amount, now);
      if (wait > worstWait) {
        worst = c;
        worstWait = wait;
      }
    }
    if (worst) {
      return {
        ok: false,
        resourceUnits: units,
        retryAfterSeconds: Math.max(0.001, Math.round(worstWait * 1000) / 1000),
        scope: worst.scope,
        information: worst.information,
      };
    }
    for (const c of checks) c.bucket.take(c.amount);
    const usage = Math.max(...checks.map((c) => c.bucket.usage()));
    return { ok: true, resourceUnits: units, limitPercentage: usage >= 0.8 ? Math.round(usage * 100) / 100 : null };
  }

  private bucket(key: string, capacity: number, windowMs: number, now: number): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(Math.max(1, Math.floor(capacity * this.settings.scale)), windowMs, now);
      this.buckets.set(key, b);
    }
    return b;
  }
}

/** A sliding one-second window: at most `limit` requests per key in any virtual second. */
export class PerSecondLimiter {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    readonly limit: number,
  ) {}

  /** Admits a request for `key`, or answers how many whole seconds to wait. */
  admit(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.clock.now();
    const times = (this.recent.get(key) ?? []).filter((t) => t > now - 1000);
    if (times.length >= this.limit) {
      this.recent.set(key, times);
      const oldest = times[0] ?? now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + 1000 - now) / 1000)) };
    }
    times.push(now);
    this.recent.set(key, times);
    return { ok: true };
  }
}
