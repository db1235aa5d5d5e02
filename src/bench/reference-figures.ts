/**
 * The only figures the benchmark does not measure: Microsoft's documented limits and the share of
 * them the client allows itself. Everything else it prints, CIPP's cost included (measured side by
 * side, side-by-side-scenario.ts), is measured in the run.
 */
import { GRAPH_WRITE_LIMITS } from "../cloud/rate-limit";

/** A documented rate limit: `amount` per `windowMs`. */
export interface DocumentedLimit {
  readonly name: string;
  readonly amount: number;
  readonly windowMs: number;
}

/**
 * Microsoft Graph's identity write quotas (Microsoft Graph throttling limits, "Identity and access
 * service limits") and Partner Center's application consent rate (Partner Center API throttling
 * guidance).
 */
export const DOCUMENTED_LIMITS = {
  graphWritesPerApp: { name: "Graph writes per app", amount: 35_000, windowMs: 300_000 },
  graphWritesPerAppTenant: { name: "Graph writes per app and tenant", amount: 3_000, windowMs: 150_000 },
  graphWritesPerTenant: { name: "Graph writes per tenant", amount: 18_000, windowMs: 300_000 },
  partnerCenterConsents: { name: "Partner Center consents per app", amount: 50, windowMs: 1_000 },
} as const satisfies Record<string, DocumentedLimit>;

/**
 * The share of the documented limits the client paces itself to, read from its own app-wide write
 * budget so that the bench reports what the client really does (its other budgets use the same share).
 */
export const CLIENT_SHARE = GRAPH_WRITE_LIMITS.perApp.amount / DOCUMENTED_LIMITS.graphWritesPerApp.amount;

/** What a rollout sends against each limit. */
export interface RolloutLoad {
  readonly totalWrites: number;
  /** Writes per tenant; the fleet's tenants are alike, so the mean is every tenant's. */
  readonly writesPerTenant: number;
  readonly consents: number;
}

/** The time one limit forces on a load, in ms. */
export interface LimitBound {
  readonly limit: string;
  /** Sent at the limit's steady rate: work / rate. */
  readonly steadyMs: number;
  /** Allowing the bucket's initial burst (a full bucket of `amount`): (work - amount) / rate, at least 0. */
  readonly burstMs: number;
}

/**
 * The least time each limit allows for `load` when the client may use `share` (1 = 100 %) of it,
 * and the binding one (the largest steady bound).
 */
export function rolloutBounds(load: RolloutLoad, share: number): { readonly each: LimitBound[]; readonly binding: LimitBound } {
  const bound = (limit: DocumentedLimit, work: number): LimitBound => {
    const amount = Math.floor(limit.amount * share);
    const ratePerMs = amount / limit.windowMs;
    return { limit: limit.name, steadyMs: work / ratePerMs, burstMs: Math.max(0, work - amount) / ratePerMs };
  };
  const each = [
    bound(DOCUMENTED_LIMITS.graphWritesPerApp, load.totalWrites),
    // Every tenant is its own (app, tenant) pair and its own tenant: the busiest tenant decides.
    bound(DOCUMENTED_LIMITS.graphWritesPerAppTenant, load.writesPerTenant),
    bound(DOCUMENTED_LIMITS.graphWritesPerTenant, load.writesPerTenant),
    bound(DOCUMENTED_LIMITS.partnerCenterConsents, load.consents),
  ];
  const binding = each.reduce((a, b) => (b.steadyMs > a.steadyMs ? b : a));
  return { each, binding };
}
