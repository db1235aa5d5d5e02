import type { TenantResult } from "../../src/apply/result";
import { DEMO, demoWorld, type FaultProfile } from "../../src/emulator";
import { CIPP_SAM_PERMISSIONS } from "../../src/emulator/demo-world";
import { heldByName, startSandbox, worldWithoutResourcesInFreshTenant, type Sandbox } from "./sandbox";

let sandbox: Sandbox;
let fullSet: { appRoles: string[]; grants: string[] };

beforeAll(async () => {
  sandbox = await startSandbox();
  fullSet = heldByName(await sandbox.snapshot(DEMO.healthy.tenantId), DEMO.applicationId);
});
afterAll(async () => {
  await sandbox.stop();
});
beforeEach(async () => {
  await sandbox.loadWorld(demoWorld());
  await sandbox.resetRequests();
  sandbox.slept.length = 0;
});

async function refreshFreshTenantUnder(profile: FaultProfile): Promise<TenantResult> {
  await sandbox.faults(profile);
  const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });
  await sandbox.faults({});
  expect(outcome.exitCode).toBe(0);
  const result = outcome.result?.tenants[0] as TenantResult;
  expect(result.status).toBe("changed");
  expect(result.verification?.converged).toBe(true);
  expect(heldByName(await sandbox.snapshot(DEMO.fresh.tenantId), DEMO.applicationId)).toEqual(fullSet);
  return result;
}

/** How many requests the emulator answered with a fault of `kind`. */
function faulted(kind: string): number {
  const log = sandbox.emulator.requests().log;
  return log.filter((entry) => entry.fault === kind).length;
}

describe("a refresh under faults converges", () => {
  it("429 inside $batch, with fractional Retry-After", async () => {
    await refreshFreshTenantUnder({
      rules: [{ kind: "throttle", service: "graph", scope: "inner", method: "POST", retryAfterSeconds: 0.25, count: 30 }],
    });
    // Throttled items were retried after their own Retry-After, not dropped.
    expect(sandbox.slept.some((ms) => ms >= 250 && ms < 1_000)).toBe(true);
  });

  it("429 on whole requests without Retry-After, and 503", async () => {
    await refreshFreshTenantUnder({
      rules: [
        { kind: "throttle", service: "graph", scope: "outer", retryAfterSeconds: null, count: 2 },
        { kind: "unavailable", service: "graph", scope: "outer", retryAfterSeconds: 1, count: 2 },
        { kind: "throttle", service: "partnerCenter", retryAfterSeconds: 2, count: 1 },
      ],
    });
    expect(faulted("throttle")).toBe(3);
    expect(faulted("unavailable")).toBe(2);
  });

  it("dropped connections", async () => {
    await refreshFreshTenantUnder({
      rules: [
        { kind: "drop", service: "graph", count: 2 },
        { kind: "drop", service: "partnerCenter", count: 1 },
      ],
    });
    expect(faulted("drop")).toBe(3);
  });

  it("replication lag: new objects invisible for a while", async () => {
    const result = await refreshFreshTenantUnder({ replicationLagMs: 20_000 });
    expect(result.steps.consent).toBe("created");
    // The engine waited (on the emulator's clock) instead of failing.
    expect(sandbox.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20_000);
  });

  it("replication lag on resource service principals just created", async () => {
    await sandbox.loadWorld(worldWithoutResourcesInFreshTenant());
    const result = await refreshFreshTenantUnder({ replicationLagMs: 15_000 });
    // Every resource of CIPP's customer set was created, but Microsoft Graph's, which the tenant kept.
    const created = result.permissions.filter((p) => p.type === "resource" && p.outcome === "applied").map((p) => p.resource.appId);
    const expected = CIPP_SAM_PERMISSIONS.filter(
      (r) => !r.partnerTenantOnly && r.resourceAppId !== "00000003-0000-0000-c000-000000000000",
    ).map((r) => r.resourceAppId);
    expect(created.sort()).toEqual(expected.sort());
  });

  it("everything at once", async () => {
    await refreshFreshTenantUnder({
      replicationLagMs: 5_000,
      seed: 7,
      rules: [
        { kind: "throttle", service: "graph", scope: "inner", retryAfterSeconds: 0.5, probability: 0.2 },
        { kind: "unavailable", service: "graph", scope: "outer", retryAfterSeconds: null, probability: 0.1 },
        { kind: "drop", service: "graph", count: 1 },
      ],
    });
    expect(faulted("drop")).toBe(1);
  });
});
