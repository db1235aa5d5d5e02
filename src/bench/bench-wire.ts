/**
 * The wire every timed scenario of the benchmark runs on: each response held 50 to 150 ms (drawn
 * per request from a seeded generator, so runs repeat), and replication lag on every create,
 * update and delete. Microsoft documents that the list endpoints "might have replication delays"
 * for recently created, updated or deleted grants and assignments (List oauth2PermissionGrants;
 * List appRoleAssignments granted to a service principal) without a figure; a new service
 * principal is reported missing for "a few seconds", which is the emulator's realistic lag.
 * Both run on the emulator's virtual clock, so a sped-up clock shortens them in real time alike.
 */
import { REALISTIC_DELAYS, type FaultProfile } from "../emulator";

export const LATENCY_RANGE_MS = { min: 50, max: 150 } as const;

export const BENCH_WIRE: FaultProfile = {
  latencyRangeMs: LATENCY_RANGE_MS,
  replicationLagMs: REALISTIC_DELAYS.replicationLagMs,
  seed: 12,
};

/** The least time `requests` round trips take when at most `parallel` are in flight: each lasts at least the minimum latency. */
export function roundTripBoundMs(requests: number, parallel: number): number {
  return (requests * LATENCY_RANGE_MS.min) / Math.max(1, parallel);
}
