/**
 * Scenario 2: the first refresh of one never-consented tenant (an active GDAP relationship, no
 * CIPP-SAM yet), on the wire given (the benchmark's: latency and replication lag, bench-wire.ts):
 * what it costs in requests and in Graph writes, and how long it takes.
 */
import { performance } from "node:perf_hooks";
import type { FaultProfile } from "../emulator";
import { roundTripBoundMs } from "./bench-wire";
import { startEmulatorChild } from "./emulator-child";
import { fleetTenants } from "./fleet-fixture";
import { sandboxRunner, temporaryStacks } from "./sandbox-run";

export interface FirstRefreshMeasurement {
  /** The tenant's outcome; anything but "changed" means the figures are not those of a full first refresh. */
  readonly status: string;
  readonly converged: boolean;
  /** Every request but the token endpoint's: Graph and Partner Center. */
  readonly apiRequests: number;
  readonly graphRequests: number;
  readonly partnerCenterRequests: number;
  readonly tokenRequests: number;
  /** Graph writes, counted as Graph's quotas count them: one per write item of a `$batch`. */
  readonly graphWrites: number;
  readonly graphBatchReads: number;
  readonly realMs: number;
  /** The least time its round trips allow at the wire's minimum latency, with as many in flight as were seen. */
  readonly lowerBoundMs: number;
}

export async function measureFirstRefresh(wireProfile?: FaultProfile): Promise<FirstRefreshMeasurement> {
  const fleet = fleetTenants(1);
  const child = await startEmulatorChild({
    kind: "fresh",
    tenants: 1,
    clockSpeed: 1,
    throttle: false,
    ...(wireProfile !== undefined ? { faults: wireProfile } : {}),
  });
  const stacks = temporaryStacks(fleet);
  try {
    const runner = sandboxRunner(child);
    const started = performance.now();
    const outcome = await runner.run("refresh", stacks.dir);
    const realMs = performance.now() - started;
    const counted = await child.requests();
    const wire = runner.tally.counts();
    const tenant = outcome.result?.tenants[0];
    const token = counted.byService["login"] ?? 0;
    return {
      status: tenant?.status ?? "missing",
      converged: tenant?.verification?.converged === true,
      apiRequests: counted.total - token,
      graphRequests: counted.byService["graph"] ?? 0,
      partnerCenterRequests: counted.byService["partnerCenter"] ?? 0,
      tokenRequests: token,
      graphWrites: wire.batchWrites,
      graphBatchReads: wire.batchReads,
      realMs,
      lowerBoundMs: wireProfile === undefined ? 0 : roundTripBoundMs(wire.requests, wire.peakInFlight),
    };
  } finally {
    stacks.remove();
    await child.stop();
  }
}
