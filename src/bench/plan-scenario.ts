/**
 * Scenario 1: planning a converged fleet. Every tenant already holds what is declared, so a plan
 * should cost one token and one read per tenant, and planning N tenants should take about N times
 * what one tenant takes, or less with tenants planned concurrently.
 */
import { performance } from "node:perf_hooks";
import { loadFleet } from "../desired/load";
import type { FaultProfile } from "../emulator";
import { roundTripBoundMs } from "./bench-wire";
import { startEmulatorChild, type EmulatorRequestCounts } from "./emulator-child";
import { fleetTenants } from "./fleet-fixture";
import { sandboxRunner, temporaryStacks } from "./sandbox-run";

export interface PlanMeasurement {
  readonly tenants: number;
  readonly concurrency: number;
  /** Requests of the N-tenant plan divided by N (requests for the partner tenant spread over all). */
  readonly requestsPerTenant: { readonly token: number; readonly api: number };
  /** The most requests any one customer tenant cost. */
  readonly maxRequestsOfOneTenant: { readonly token: number; readonly api: number };
  /** Tenants by plan status: all should be "converged". */
  readonly statuses: Record<string, number>;
  /** Reading and resolving the N tenants' declarations, part of the plan time. */
  readonly declarationsLoadMs: number;
  readonly planMs: number;
  readonly perTenantMs: number;
  /** Each one-tenant plan of the baseline, in ms (the first run warms up and is not kept). */
  readonly singleTenantRunsMs: readonly number[];
  readonly singleTenantMs: number;
  /** Per-tenant time at N / per-tenant time for 1. */
  readonly scaling: number;
  /** The least time the N-tenant plan's round trips allow at the wire's minimum latency, with as many in flight as were seen. */
  readonly lowerBoundMs: number;
  readonly peakInFlight: number;
}

const SINGLE_TENANT_RUNS = 11;

/** Plans a converged fleet of `tenants` tenants, and one tenant of it alone for the baseline. */
export async function measurePlan(tenants: number, concurrency: number, wire?: FaultProfile): Promise<PlanMeasurement> {
  const fleet = fleetTenants(tenants);
  const child = await startEmulatorChild({
    kind: "converged",
    tenants,
    clockSpeed: 1,
    throttle: false,
    ...(wire !== undefined ? { faults: wire } : {}),
  });
  const all = temporaryStacks(fleet);
  const one = temporaryStacks(fleet.slice(0, 1));
  try {
    const runner = sandboxRunner(child);
    // Warm-up: connections, TLS and the code paths, before anything is timed.
    await runner.run("plan", one.dir);
    const singleTenantRunsMs: number[] = [];
    for (let i = 0; i < SINGLE_TENANT_RUNS; i++) {
      const started = performance.now();
      await runner.run("plan", one.dir);
      singleTenantRunsMs.push(performance.now() - started);
    }

    const loadStarted = performance.now();
    loadFleet(all.dir);
    const declarationsLoadMs = performance.now() - loadStarted;

    await child.resetRequests();
    runner.tally.reset();
    const started = performance.now();
    const outcome = await runner.run("plan", all.dir, { concurrency });
    const planMs = performance.now() - started;
    const counted = await child.requests();
    const wireCounts = runner.tally.counts();

    const statuses: Record<string, number> = {};
    for (const plan of outcome.plan.tenants) statuses[plan.status] = (statuses[plan.status] ?? 0) + 1;
    const perTenantMs = planMs / tenants;
    const singleTenantMs = median(singleTenantRunsMs);
    const token = counted.byService["login"] ?? 0;
    return {
      tenants,
      concurrency,
      requestsPerTenant: { token: token / tenants, api: (counted.total - token) / tenants },
      maxRequestsOfOneTenant: busiestTenant(counted, new Set(fleet.map((t) => t.tenantId))),
      statuses,
      declarationsLoadMs,
      planMs,
      perTenantMs,
      singleTenantRunsMs,
      singleTenantMs,
      scaling: perTenantMs / singleTenantMs,
      lowerBoundMs: wire === undefined ? 0 : roundTripBoundMs(wireCounts.requests, wireCounts.peakInFlight),
      peakInFlight: wireCounts.peakInFlight,
    };
  } finally {
    all.remove();
    one.remove();
    await child.stop();
  }
}

function busiestTenant(counted: EmulatorRequestCounts, customers: ReadonlySet<string>): { token: number; api: number } {
  const per = new Map<string, { token: number; api: number }>();
  for (const c of counted.counts) {
    if (c.tenantId === null || !customers.has(c.tenantId)) continue;
    const entry = per.get(c.tenantId) ?? { token: 0, api: 0 };
    if (c.service === "login") entry.token += c.count;
    else entry.api += c.count;
    per.set(c.tenantId, entry);
  }
  const entries = [...per.values()];
  return {
    token: Math.max(0, ...entries.map((e) => e.token)),
    api: Math.max(0, ...entries.map((e) => e.api)),
  };
}

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("The median of no values is undefined.");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
