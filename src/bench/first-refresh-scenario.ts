/**
 * Scenario 2: the first refresh of one never-consented tenant (an active GDAP relationship, no
 * CIPP-SAM yet), without replication lag: what it costs in requests and in Graph writes.
 */
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
}

export async function measureFirstRefresh(): Promise<FirstRefreshMeasurement> {
  const fleet = fleetTenants(1);
  const child = await startEmulatorChild({ kind: "fresh", tenants: 1, clockSpeed: 1, throttle: false });
  const stacks = temporaryStacks(fleet);
  try {
    const runner = sandboxRunner(child);
    const outcome = await runner.run("refresh", stacks.dir);
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
    };
  } finally {
    stacks.remove();
    await child.stop();
  }
}
