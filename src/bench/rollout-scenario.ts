/**
 * Scenario 3: the first-time rollout of a whole fleet of never-consented tenants under the
 * documented limits. The emulator throttles Graph at the real identity limits and Partner Center
 * at 50 requests per second, on a clock running `speed` times real time; the engine's clock reads
 * the same virtual time and its sleeps last 1/speed of what they ask, so the client's write
 * budgets and the emulator's buckets refill in step.
 */
import { performance } from "node:perf_hooks";
import type { FaultProfile } from "../emulator";
import { roundTripBoundMs } from "./bench-wire";
import { startEmulatorChild } from "./emulator-child";
import { fleetTenants } from "./fleet-fixture";
import { CLIENT_SHARE, rolloutBounds, type LimitBound } from "./reference-figures";
import { sandboxRunner, temporaryStacks } from "./sandbox-run";

export interface RolloutMeasurement {
  readonly tenants: number;
  readonly concurrency: number;
  /** Virtual ms per real ms, shared by the emulator and the engine. */
  readonly speed: number;
  /** The rollout's duration on the shared virtual clock. */
  readonly virtualMs: number;
  readonly realMs: number;
  /** Processor time of each process during the rollout, in ms. */
  readonly cpuMs: { readonly engine: number; readonly emulator: number };
  readonly statuses: Record<string, number>;
  readonly graphWrites: number;
  readonly partnerCenterRequests: number;
  readonly graphRequests: number;
  readonly tokenRequests: number;
  readonly throttled: {
    /** Whole responses 429 (Graph, Partner Center or the token endpoint). */
    readonly responses: number;
    /** `$batch` items answered 429. */
    readonly batchItems: number;
    /** Retries the engine reports it made because of 429 or 503. */
    readonly engineRetries: number;
  };
  /** The least virtual time the rollout's round trips allow at the wire's minimum latency, with as many in flight as were seen. */
  readonly roundTripBoundMs: number;
  /** The least time the documented limits allow for this rollout, at 100 % and at the client's share. */
  readonly bounds: {
    readonly documented: { readonly each: readonly LimitBound[]; readonly binding: LimitBound };
    readonly client: { readonly share: number; readonly each: readonly LimitBound[]; readonly binding: LimitBound };
  };
}

export async function measureRollout(
  tenants: number,
  speed: number,
  concurrency: number,
  wireProfile?: FaultProfile,
): Promise<RolloutMeasurement> {
  const fleet = fleetTenants(tenants);
  const child = await startEmulatorChild({
    kind: "fresh",
    tenants,
    clockSpeed: speed,
    throttle: true,
    ...(wireProfile !== undefined ? { faults: wireProfile } : {}),
  });
  const stacks = temporaryStacks(fleet);
  try {
    const runner = sandboxRunner(child, {
      clock: () => child.virtualNow(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / speed)),
    });
    await child.resetRequests();
    const emulatorCpuBefore = await child.cpuMs();
    const engineCpuBefore = process.cpuUsage();
    const virtualStart = child.virtualNow();
    const realStart = performance.now();

    const outcome = await runner.run("refresh", stacks.dir, { concurrency });

    const realMs = performance.now() - realStart;
    const virtualMs = child.virtualNow() - virtualStart;
    const engineCpu = process.cpuUsage(engineCpuBefore);
    const emulatorCpu = (await child.cpuMs()) - emulatorCpuBefore;
    const counted = await child.requests();
    const wire = runner.tally.counts();

    const results = outcome.result?.tenants ?? [];
    const statuses: Record<string, number> = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const partnerCenterRequests = counted.byService["partnerCenter"] ?? 0;
    const load = { totalWrites: wire.batchWrites, writesPerTenant: wire.batchWrites / tenants, consents: partnerCenterRequests };
    return {
      tenants,
      concurrency,
      speed,
      virtualMs,
      realMs,
      cpuMs: { engine: (engineCpu.user + engineCpu.system) / 1000, emulator: emulatorCpu },
      statuses,
      graphWrites: wire.batchWrites,
      partnerCenterRequests,
      graphRequests: counted.byService["graph"] ?? 0,
      tokenRequests: counted.byService["login"] ?? 0,
      throttled: {
        responses: wire.throttledResponses,
        batchItems: wire.throttledBatchItems,
        engineRetries: results.reduce((sum, r) => sum + r.requests.throttled, 0),
      },
      roundTripBoundMs: wireProfile === undefined ? 0 : roundTripBoundMs(wire.requests, wire.peakInFlight),
      bounds: {
        documented: rolloutBounds(load, 1),
        client: { share: CLIENT_SHARE, ...rolloutBounds(load, CLIENT_SHARE) },
      },
    };
  } finally {
    stacks.remove();
    await child.stop();
  }
}
