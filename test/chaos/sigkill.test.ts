/**
 * Property 2: the CLI killed with SIGKILL at many points of a fleet refresh and of a reset, then
 * one `refresh`: every tenant holds CIPP-SAM and a plan shows nothing left to do.
 *
 * The kill point is the emulator's: a fault rule holds the k-th request the CLI sends (before it is
 * handled, or after it was applied and its answer is held back), the test sees the rule fire and
 * kills the CLI while it waits. The emulator's clock runs ten times faster than real time, so the
 * replication lag the CLI waits out (really, in its own process) is short.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import path from "node:path";
import { DEMO, snapshotTenant, type FaultProfile, type TenantSnapshot, type WorldSpec } from "../../src/emulator";
import { notConverged, withoutCippSam } from "./checks";
import { runCli, startCliBench, type CliBench, type CliRun } from "./cli-process";
import { chaosTenants, chaosWorld, writeChaosStacks, type ChaosTenant } from "./fleet";

const DELAYS = { replicationLagMs: 3_000, latencyMs: 40 } as const;

let bench: CliBench;
let tenants: ChaosTenant[];
let world: WorldSpec;
let stacksDir: string;
/** The first tenant of the fleet in `state`. */
function tenantIn(state: ChaosTenant["state"]): ChaosTenant {
  const tenant = tenants.find((t) => t.state === state);
  if (!tenant) throw new Error(`the fleet has no ${state} tenant`);
  return tenant;
}
const resetTarget = (): ChaosTenant => tenantIn("converged");

beforeAll(async () => {
  tenants = chaosTenants(8, [
    "converged",
    "drifted",
    "fresh",
    "unlicensed",
    "other-app",
    "extras-kept",
    "extras-removed",
    "duplicate-grant",
  ]);
  world = chaosWorld(tenants);
  bench = await startCliBench({ world, clockSpeed: 10, faults: DELAYS });
  stacksDir = path.join(bench.work, "stacks");
  writeChaosStacks(stacksDir, tenants);
});
afterAll(async () => {
  await bench.stop();
});

const snapshots = (): TenantSnapshot[] =>
  tenants.map((t) => {
    const snap = snapshotTenant(bench.emulator.world(), t.tenantId);
    if (!snap) throw new Error(`${t.defaultDomain} is not in the emulator's world`);
    return snap;
  });

/** A folder of its own for one case's reset records and reports. */
function caseDir(name: string): string {
  const dir = mkdtempSync(path.join(bench.work, `${name}-`));
  mkdirSync(path.join(dir, "resets"));
  return dir;
}

const refreshArgs = (dir: string): string[] => [
  "refresh",
  "--stacks",
  stacksDir,
  "--quiet",
  "--no-color",
  "--concurrency",
  "4",
  "--reset-records",
  path.join(dir, "resets"),
];
const resetArgs = (dir: string): string[] => {
  const tenant = resetTarget().defaultDomain;
  return [
    "reset",
    "--tenant",
    tenant,
    "--confirm",
    tenant,
    "--stacks",
    stacksDir,
    "--quiet",
    "--no-color",
    "--reset-records",
    path.join(dir, "resets"),
  ];
};

/** Runs the CLI to the end from a fresh world and answers how many requests the emulator counted. */
async function requestsOfWholeRun(args: (dir: string) => string[]): Promise<number> {
  bench.emulator.loadWorld(world);
  bench.emulator.setFaults(DELAYS);
  const dir = caseDir("whole");
  const before = bench.emulator.requests().total;
  const run = await runCli(args(dir), { env: bench.env(), cwd: dir });
  if (run.exitCode !== 0) throw new Error(`the uninterrupted run exited ${run.exitCode}: ${run.stderr.slice(-1000)}`);
  return bench.emulator.requests().total - before;
}

/** From a fresh world: the CLI killed while the emulator holds its k-th request, then one refresh to the end. */
async function killAt(k: number, afterApply: boolean, args: (dir: string) => string[]): Promise<{ killed: CliRun; recovery: CliRun }> {
  bench.emulator.loadWorld(world);
  const kind = afterApply ? "stall-after-apply" : "stall";
  const profile: FaultProfile = { ...DELAYS, rules: [{ kind, nth: k, count: 1 }] };
  bench.emulator.setFaults(profile);
  const held = (): boolean => bench.emulator.requests().log.some((e) => e.fault === kind);
  const dir = caseDir(`k${k}`);
  const killed = await runCli(args(dir), { env: bench.env(), cwd: dir, killWhen: held });
  bench.emulator.setFaults(DELAYS);
  const recovery = await runCli(refreshArgs(dir), { env: bench.env(), cwd: dir });
  return { killed, recovery };
}

/** What must hold after the recovery: CIPP-SAM in every tenant, and a plan with no work left. */
async function violations(): Promise<string[]> {
  return [...withoutCippSam(snapshots(), DEMO.applicationId), ...notConverged(await bench.plan(stacksDir))];
}

/** Kill points spread over a run of `total` requests: the first (a token request), then `count - 1` more up to the late verification reads. */
function killPoints(total: number, count: number): number[] {
  const points = Array.from({ length: count - 1 }, (_, i) => Math.round(((i + 1) * (total - 1)) / count) + 1);
  return [...new Set([1, ...points])].filter((k) => k < total);
}

describe("SIGKILL mid-run, then one refresh", () => {
  it.each([
    ["a fleet refresh", refreshArgs, 5],
    ["a reset", resetArgs, 5],
  ] as const)("%s killed at many points", async (name, args, count) => {
    const total = await requestsOfWholeRun(args);
    expect(total).toBeGreaterThan(count);
    const points = killPoints(total, count);
    const found: string[] = [];
    for (const [i, k] of points.entries()) {
      const { killed, recovery } = await killAt(k, i % 2 === 1, args);
      // Killed, not finished: the kill landed inside the run.
      expect([k, killed.signal]).toEqual([k, "SIGKILL"]);
      if (recovery.exitCode !== 0) found.push(`k=${k}: the recovery refresh exited ${recovery.exitCode}: ${recovery.stderr.slice(-500)}`);
      found.push(...(await violations()).map((v) => `k=${k}: ${v}`));
    }
    console.log(`${name}: ${total} requests in a whole run; killed after ${points.join(", ")}`);
    expect(found).toEqual([]);
  });

  it("the checker fails on a tenant without CIPP-SAM and on a tenant left with work", async () => {
    bench.emulator.loadWorld(world);
    const fresh = tenantIn("fresh");
    const drifted = tenantIn("drifted");
    expect(await violations()).toEqual(
      expect.arrayContaining([
        `${fresh.defaultDomain}: no CIPP-SAM service principal`,
        expect.stringMatching(new RegExp(`^${drifted.defaultDomain}: changes`)),
      ]),
    );
  });
});
