/**
 * The engine against the emulator's fault model: writes applied whose answers are lost, faults
 * aimed at one tenant, stale reads after deletes, tenants holding duplicate grants or changed
 * out of band, scope names in another case, stalls timed on the virtual clock, and token
 * lifetimes after the clock jumped.
 */
import type { RunOutcome } from "../../src/run/engine";
import type { TenantResult } from "../../src/apply/result";
import { DEMO, demoWorld, type FaultProfile, type TenantSnapshot } from "../../src/emulator";
import { heldByName, startSandbox, worldWithoutResourcesInFreshTenant, type Sandbox } from "./sandbox";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const WRITES = ["POST", "PATCH", "DELETE"];

let sandbox: Sandbox;
/** CIPP's full set by name, as the healthy demo tenant holds it. */
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
  await sandbox.faults({});
  await sandbox.resetRequests();
  sandbox.slept.length = 0;
});

function only(outcome: RunOutcome): TenantResult {
  expect(outcome.result?.tenants).toHaveLength(1);
  return outcome.result?.tenants[0] as TenantResult;
}

/** A refresh that ended well: exit 0, verified, nothing failed, CIPP's full set held. */
async function expectConverged(outcome: RunOutcome, tenantId: string): Promise<TenantResult> {
  const result = only(outcome);
  expect(result.problem ?? null).toBeNull();
  expect(outcome.exitCode).toBe(0);
  expect(result.permissions.filter((p) => p.outcome === "failed")).toEqual([]);
  expect(heldByName(await sandbox.snapshot(tenantId), DEMO.applicationId)).toEqual(fullSet);
  return result;
}

/** CIPP-SAM's objects a tenant holds twice: app roles by (resource, role), tenant-wide grants by resource. */
function duplicatesIn(snapshot: TenantSnapshot): string[] {
  const client = snapshot.servicePrincipals.find((sp) => sp.appId === DEMO.applicationId)?.id;
  const keys = [
    ...snapshot.appRoleAssignments.filter((a) => a.principalId === client).map((a) => `role ${a.resourceAppId} ${a.appRoleId}`),
    ...snapshot.grants.filter((g) => g.clientId === client && g.consentType === "AllPrincipals").map((g) => `grant ${g.resourceAppId}`),
    ...snapshot.servicePrincipals.map((sp) => `sp ${sp.appId}`),
  ];
  return keys.filter((key, i) => keys.indexOf(key) !== i);
}

/** How many requests (and `$batch` items) an injected fault of `kind` answered. */
function faulted(kind: string): number {
  return faultedIn(sandbox, kind);
}

function faultedIn(bench: Sandbox, kind: string): number {
  return bench.emulator
    .requests()
    .log.reduce((n, e) => n + (e.fault === kind ? 1 : 0) + (e.inner ?? []).filter((item) => item.fault === kind).length, 0);
}

describe("writes applied whose answers were lost", () => {
  const eachWriteDroppedOnce: FaultProfile = {
    rules: [
      { kind: "drop-after-apply", service: "partner-center", method: "POST", count: 1, countPer: "request" },
      { kind: "drop-after-apply", service: "graph", scope: "inner", method: WRITES, count: 1, countPer: "request" },
    ],
  };

  it("a refresh whose writes (consent, service principals, app roles, grants) are each applied then dropped once converges, with no duplicate", async () => {
    await sandbox.loadWorld(worldWithoutResourcesInFreshTenant());
    await sandbox.faults(eachWriteDroppedOnce);
    const result = await expectConverged(await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain }), DEMO.fresh.tenantId);
    expect(result.status).toBe("changed");
    expect(result.steps.consent).toBe("created");
    expect(duplicatesIn(await sandbox.snapshot(DEMO.fresh.tenantId))).toEqual([]);
    // The consent and every Graph write were lost once: one per service principal, app role and grant at least.
    expect(faulted("drop-after-apply")).toBeGreaterThanOrEqual(1 + fullSet.appRoles.length + fullSet.grants.length);
  });

  it("an update and an added role applied then dropped once, in a drifted tenant", async () => {
    await sandbox.faults(eachWriteDroppedOnce);
    const result = await expectConverged(await sandbox.run({ mode: "refresh", tenant: DEMO.drifted.defaultDomain }), DEMO.drifted.tenantId);
    expect(result.status).toBe("changed");
    expect(duplicatesIn(await sandbox.snapshot(DEMO.drifted.tenantId))).toEqual([]);
    expect(faulted("drop-after-apply")).toBe(2); // the PATCH of the Graph grant and the POST of the missing role
  });

  it("a duplicate grant's delete applied then dropped once: the repeated delete finds it gone", async () => {
    await sandbox.control("POST", `/tenants/${DEMO.healthy.tenantId}/grants`, {
      clientAppId: DEMO.applicationId,
      resourceAppId: GRAPH,
      scope: "User.Read",
    });
    await sandbox.faults(eachWriteDroppedOnce);
    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.healthy.defaultDomain });
    expect(outcome.exitCode).toBe(0);
    expect(only(outcome).verification?.converged).toBe(true);
    expect(duplicatesIn(await sandbox.snapshot(DEMO.healthy.tenantId))).toEqual([]);
    const inner = sandbox.emulator.requests().log.flatMap((e) => e.inner ?? []);
    expect(inner.filter((item) => item.method === "DELETE").map((item) => [item.status, item.fault])).toEqual([
      [504, "drop-after-apply"],
      [404, null],
    ]);
  });

  it("a reset whose consent delete and consent post are each applied then dropped once ends with CIPP-SAM's full set", async () => {
    await sandbox.faults({ rules: [{ kind: "drop-after-apply", service: "partner-center", count: 1, countPer: "request" }] });
    const tenant = DEMO.healthy.defaultDomain;
    const outcome = await sandbox.run({ mode: "reset", tenant, confirm: tenant });
    expect(outcome.exitCode).toBe(0);
    expect(only(outcome).verification?.converged).toBe(true);
    expect(heldByName(await sandbox.snapshot(DEMO.healthy.tenantId), DEMO.applicationId)).toEqual(fullSet);
    expect(duplicatesIn(await sandbox.snapshot(DEMO.healthy.tenantId))).toEqual([]);
    expect(faulted("drop-after-apply")).toBe(2);
  });

  it("a whole $batch applied then its connection dropped, and the consent's answer lost the same way", async () => {
    await sandbox.faults({
      rules: [
        { kind: "drop-after-apply", service: "partner-center", count: 1 },
        { kind: "drop-after-apply", service: "graph", method: "POST", pathPattern: "/\\$batch$", count: 1, countPer: "request" },
      ],
    });
    await expectConverged(await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain }), DEMO.fresh.tenantId);
    expect(duplicatesIn(await sandbox.snapshot(DEMO.fresh.tenantId))).toEqual([]);
    expect(faulted("drop-after-apply")).toBeGreaterThanOrEqual(2);
  });
});

describe("faults aimed at one tenant", () => {
  /** Requests per tenant (every service) in a fleet-wide plan. */
  async function planCounts(): Promise<Map<string, number>> {
    await sandbox.resetRequests();
    await sandbox.run({ mode: "plan" });
    const counts = (await sandbox.requests()).counts;
    const byTenant = new Map<string, number>();
    for (const c of counts) byTenant.set(c.tenantId ?? "", (byTenant.get(c.tenantId ?? "") ?? 0) + c.count);
    return byTenant;
  }

  it("leave every other tenant's request counts unchanged", async () => {
    const baseline = await planCounts();
    expect(baseline.get(DEMO.drifted.tenantId)).toBeGreaterThan(0);
    await sandbox.faults({
      rules: [
        { kind: "throttle", service: "graph", tenant: DEMO.drifted.tenantId, retryAfterSeconds: 1, count: 2 },
        { kind: "unavailable", service: "entra", tenant: DEMO.drifted.defaultDomain, retryAfterSeconds: 1, count: 1 },
      ],
    });
    const aimed = await planCounts();
    // Two Graph requests and one token request answered by a fault, each retried once.
    expect(aimed.get(DEMO.drifted.tenantId)).toBe((baseline.get(DEMO.drifted.tenantId) ?? 0) + 3);
    for (const [tenantId, count] of baseline)
      if (tenantId !== DEMO.drifted.tenantId) expect([tenantId, aimed.get(tenantId)]).toEqual([tenantId, count]);
    expect(aimed.size).toBe(baseline.size);
  });
});

describe("stale reads and the states real tenants get into", () => {
  const addDuplicateGrant = async (tenantId: string, scope: string): Promise<void> => {
    await sandbox.control("POST", `/tenants/${tenantId}/grants`, { clientAppId: DEMO.applicationId, resourceAppId: GRAPH, scope });
  };
  const graphGrants = async (tenantId: string) =>
    (await sandbox.snapshot(tenantId)).grants.filter(
      (g) => g.clientAppId === DEMO.applicationId && g.resourceAppId === GRAPH && g.consentType === "AllPrincipals",
    );

  it("a tenant loaded with duplicate tenant-wide grants ends with one, holding the scopes of both", async () => {
    await addDuplicateGrant(DEMO.healthy.tenantId, "Directory.Read.All User.Read");
    expect(await graphGrants(DEMO.healthy.tenantId)).toHaveLength(2);
    const result = only(await sandbox.run({ mode: "refresh", tenant: DEMO.healthy.defaultDomain }));
    expect(result.status).toBe("changed");
    expect(result.verification?.converged).toBe(true);
    const left = await graphGrants(DEMO.healthy.tenantId);
    expect(left).toHaveLength(1);
    expect(left[0]?.scope.split(" ")).toEqual(expect.arrayContaining(["Directory.Read.All", "User.Read"]));
  });

  it("a delete under replication lag is read back until it is gone", async () => {
    await addDuplicateGrant(DEMO.healthy.tenantId, "User.Read");
    await sandbox.faults({ replicationLag: { delete: 30_000 } });
    const result = only(await sandbox.run({ mode: "refresh", tenant: DEMO.healthy.defaultDomain }));
    expect(result.verification?.converged).toBe(true);
    expect(result.problem ?? null).toBeNull();
    expect(await graphGrants(DEMO.healthy.tenantId)).toHaveLength(1);
    // The engine read the grants again after the DELETE until the stale one was no longer listed.
    const log = sandbox.emulator.requests().log;
    const deletedAt = log.findIndex((e) =>
      (e.inner ?? []).some((item) => item.method === "DELETE" && item.path.includes("oauth2PermissionGrants")),
    );
    expect(deletedAt).toBeGreaterThanOrEqual(0);
    const readsAfter = log
      .slice(deletedAt + 1)
      .filter((e) => (e.inner ?? []).some((item) => item.method === "GET" && item.path.endsWith("/oauth2PermissionGrants")));
    expect(readsAfter.length).toBeGreaterThanOrEqual(2);
    expect(sandbox.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30_000);
  });

  it("CIPP-SAM's objects changed out of band (a role removed, the grant rewritten in lower case) are repaired without a 403", async () => {
    const snap = await sandbox.snapshot(DEMO.healthy.tenantId);
    const role = snap.appRoleAssignments.find((a) => a.principalAppId === DEMO.applicationId && a.resourceAppId === GRAPH);
    const grant = (await graphGrants(DEMO.healthy.tenantId))[0];
    if (!role || !grant) throw new Error("the healthy tenant holds Graph permissions");
    await sandbox.control("DELETE", `/tenants/${DEMO.healthy.tenantId}/appRoleAssignments/${encodeURIComponent(role.id)}`);
    await sandbox.control("PATCH", `/tenants/${DEMO.healthy.tenantId}/grants/${encodeURIComponent(grant.id)}`, {
      scope: grant.scope.toLowerCase(),
    });
    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.healthy.defaultDomain });
    const result = only(outcome);
    expect(outcome.exitCode).toBe(0);
    expect(result.status).toBe("changed");
    expect(result.verification?.converged).toBe(true);
    expect(result.steps.consent).not.toBe("created");
    // Only the role was missing: scope names in another case are the same scopes (left as written), and write as well.
    expect(result.permissions.filter((p) => p.outcome === "applied").map((p) => p.permission)).toEqual([role.appRoleValue]);
    const lower = (set: { appRoles: string[]; grants: string[] }) => ({
      appRoles: set.appRoles,
      grants: set.grants.map((g) => g.toLowerCase().split(/[| ]/).sort().join(" ")).sort(),
    });
    expect(lower(heldByName(await sandbox.snapshot(DEMO.healthy.tenantId), DEMO.applicationId))).toEqual(lower(fullSet));
  });

  it("CIPP-SAM's service principal deleted out of band: consented again", async () => {
    await sandbox.control("DELETE", `/tenants/${DEMO.healthy.tenantId}/servicePrincipals/${DEMO.applicationId}`);
    const result = await expectConverged(await sandbox.run({ mode: "refresh", tenant: DEMO.healthy.defaultDomain }), DEMO.healthy.tenantId);
    expect(result.steps.consent).toBe("created");
    expect(duplicatesIn(await sandbox.snapshot(DEMO.healthy.tenantId))).toEqual([]);
  });
});

describe("time on the emulator's clock", () => {
  let timed: Sandbox;
  beforeAll(async () => {
    timed = await startSandbox(undefined, { virtualTimeouts: true });
  });
  afterAll(async () => {
    await timed.stop();
  });

  it("a $batch stalled after its writes were applied times out on the virtual clock, and the retry converges", async () => {
    await timed.faults({ rules: [{ kind: "stall-after-apply", service: "graph", scope: "inner", method: "POST", count: 1 }] });
    const started = Date.now();
    const running = timed.run({ mode: "refresh", tenant: DEMO.drifted.defaultDomain });
    // Nothing moves the frozen clock while the engine waits for the answer: the test does, once the batch is held.
    for (
      let i = 0;
      i < 1_000 && !timed.emulator.requests().log.some((e) => (e.inner ?? []).some((item) => item.fault === "stall-after-apply"));
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    timed.emulator.clock.advance(60_000);
    const outcome = await running;
    const result = only(outcome);
    expect(outcome.exitCode).toBe(0);
    expect(result.verification?.converged).toBe(true);
    expect(result.permissions.filter((p) => p.outcome === "failed")).toEqual([]);
    expect(heldByName(await timed.snapshot(DEMO.drifted.tenantId), DEMO.applicationId)).toEqual(fullSet);
    expect(faultedIn(timed, "stall-after-apply")).toBe(1);
    expect(Date.now() - started).toBeLessThan(45_000); // the 60 s timeout was virtual
  });

  it("tokens cached by the engine live by the run's clock: a clock hours ahead of real time costs no extra token request", async () => {
    const logins = async (): Promise<number> => {
      await timed.loadWorld(demoWorld());
      await timed.resetRequests();
      await timed.run({ mode: "plan", tenant: DEMO.healthy.defaultDomain });
      return (await timed.requests()).byService.login ?? 0;
    };
    const baseline = await logins();
    timed.emulator.clock.advance(3 * 3600_000);
    expect(await logins()).toBe(baseline);
  });
});
