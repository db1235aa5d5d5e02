// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { DEMO, demoWorld, type WorldSpec } from "../../src/emulator";
import { CIPP_SAM_PERMISSIONS } from "../../src/emulator/demo-world";
import type { TenantResult } from "../../src/apply/result";
import { countOf, heldByName, startSandbox, worldWithoutResourcesInFreshTenant, type Sandbox } from "./sandbox";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";
const RMS = "00000012-0000-0000-c000-000000000000";
/** The resource apps CIPP's set asks for in a customer tenant. */
const CUSTOMER_RESOURCES = CIPP_SAM_PERMISSIONS.filter((r) => !r.partnerTenantOnly);

let sandbox: Sandbox;
/** CIPP's full set by name, as the healthy demo tenant (same licences as the fresh one) holds it. */
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
});

function only(result: { tenants: readonly TenantResult[] } | null): TenantResult {
  expect(result?.tenants).toHaveLength(1);
  return result?.tenants[0] as TenantResult;
}

describe("refresh", () => {
  it("names the GDAP cause when a relationship lets the service account read but not write", async () => {
    const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    const world = demoWorld();
    const readOnly: WorldSpec = {
      ...world,
      gdapRelationships: world.gdapRelationships.map((r) =>
        r.customerTenantId === DEMO.drifted.tenantId ? { ...r, roleTemplateIds: [PRIVILEGED_ROLE_ADMINISTRATOR] } : r,
      ),
    };
    await sandbox.loadWorld(readOnly);
    const before = heldByName(await sandbox.snapshot(DEMO.drifted.tenantId), DEMO.applicationId);

    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.drifted.defaultDomain });

    const tenant = only(outcome.result);
    expect(outcome.exitCode).toBe(1);
    expect(tenant.status).toBe("failed");
    expect(tenant.problem?.kind).toBe("gdap-roles-missing");
    expect(tenant.problem?.action).toMatch(/Application Administrator or Cloud Application Administrator/);
    expect(tenant.permissions.find((p) => p.permission === "AuditLog.Read.All")?.outcome).toBe("failed");
    expect(heldByName(await sandbox.snapshot(DEMO.drifted.tenantId), DEMO.applicationId)).toEqual(before);
  });

  it("takes a never-consented tenant to the full set, verified, in at most 10 requests besides tokens", async () => {
    // The request budget is that of a refresh once Graph has replicated; under the lag the same
    // refresh adds only polling reads (the next test).
    await sandbox.faults({ replicationLagMs: 0 });
    expect(heldByName(await sandbox.snapshot(DEMO.fresh.tenantId), DEMO.applicationId).appRoles).toEqual([]);

    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });

    const tenant = only(outcome.result);
    expect(outcome.exitCode).toBe(0);
    expect(tenant.status).toBe("changed");
    expect(tenant.steps.consent).toBe("created");
    expect(tenant.verification?.converged).toBe(true);
    expect(tenant.permissions.filter((p) => p.outcome === "failed")).toEqual([]);
    // Every declared app role is reported applied, by name.
    const appliedRoles = tenant.permissions.filter((p) => p.type === "appRole" && p.outcome === "applied");
    expect(appliedRoles).toHaveLength(fullSet.appRoles.length);
    expect(appliedRoles.map((p) => `${p.resource.appId}|${p.permission}`).sort()).toEqual(fullSet.appRoles);

    const held = heldByName(await sandbox.snapshot(DEMO.fresh.tenantId), DEMO.applicationId);
    expect(held).toEqual(fullSet);

    const { counts } = await sandbox.requests();
    const besidesTokens = counts.filter((c) => c.service !== "login").reduce((n, c) => n + c.count, 0);
    expect(besidesTokens).toBeLessThanOrEqual(10);
    expect(countOf(counts, "partnerCenter")).toBe(1);
  });

  it("creates the resource service principals a tenant lacks, still within 10 requests besides tokens", async () => {
    await sandbox.loadWorld(worldWithoutResourcesInFreshTenant());
    await sandbox.faults({ replicationLagMs: 0 });
    await sandbox.resetRequests();
    const before = await sandbox.snapshot(DEMO.fresh.tenantId);
    expect(before.servicePrincipals).toHaveLength(1);

    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });

    const tenant = only(outcome.result);
    expect(tenant.status).toBe("changed");
    const created = tenant.permissions.filter((p) => p.type === "resource");
    // Every resource of CIPP's customer set but Microsoft Graph, which the tenant kept.
    expect(created.map((p) => p.resource.appId).sort()).toEqual(
      CUSTOMER_RESOURCES.map((r) => r.resourceAppId)
        .filter((id) => id !== GRAPH)
        .sort(),
    );
    expect(created.every((p) => p.outcome === "applied")).toBe(true);
    expect(heldByName(await sandbox.snapshot(DEMO.fresh.tenantId), DEMO.applicationId)).toEqual(fullSet);
    const { counts } = await sandbox.requests();
    expect(counts.filter((c) => c.service !== "login").reduce((n, c) => n + c.count, 0)).toBeLessThanOrEqual(10);
  });

  it("waits out Microsoft's replication lag by polling: same writes as without it, more reads, no failure", async () => {
    // The bench's default delays (REALISTIC_DELAYS): writes become readable only after the lag.
    const writes = (): { partnerCenter: number; graphWrites: number; total: number } => {
      const log = sandbox.emulator.requests().log.filter((e) => e.service !== "login");
      const inner = log.flatMap((e) => e.inner ?? []);
      return {
        partnerCenter: log.filter((e) => e.service === "partnerCenter").length,
        graphWrites:
          inner.filter((r) => r.method !== "GET").length +
          log.filter((e) => e.service === "graph" && e.method !== "GET" && !e.path.endsWith("$batch")).length,
        total: log.length,
      };
    };
    await sandbox.faults({ replicationLagMs: 0 });
    const settled = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });
    expect(only(settled.result).verification?.converged).toBe(true);
    const withoutLag = writes();

    await sandbox.loadWorld(demoWorld());
    await sandbox.faults({});
    await sandbox.resetRequests();
    sandbox.slept.length = 0;
    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });
    const tenant = only(outcome.result);
    expect([outcome.exitCode, tenant.status, tenant.verification?.converged]).toEqual([0, "changed", true]);
    expect(tenant.permissions.filter((p) => p.outcome === "failed")).toEqual([]);
    expect(heldByName(await sandbox.snapshot(DEMO.fresh.tenantId), DEMO.applicationId)).toEqual(fullSet);
    const withLag = writes();
    expect([withLag.partnerCenter, withLag.graphWrites]).toEqual([withoutLag.partnerCenter, withoutLag.graphWrites]);
    expect(withLag.total).toBeGreaterThan(withoutLag.total);
    // The engine waited on the virtual clock, at least one lag's worth in all.
    expect(sandbox.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_000);
  });

  it("plans exactly the drifted role and scope, and restores them and nothing else", async () => {
    const before = await sandbox.snapshot(DEMO.drifted.tenantId);

    const plan = await sandbox.run({ mode: "plan", tenant: DEMO.drifted.defaultDomain });
    expect(plan.exitCode).toBe(2);
    expect(plan.result).toBeNull();
    const actions = plan.plan.tenants[0]?.actions ?? [];
    expect(actions).toHaveLength(2);
    expect(actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: "add-app-role",
          permission: "AuditLog.Read.All",
          resource: expect.objectContaining({ appId: GRAPH }),
        }),
        expect.objectContaining({
          kind: "update-grant",
          add: ["Policy.Read.All"],
          remove: [],
          resource: expect.objectContaining({ appId: GRAPH }),
        }),
      ]),
    );
    expect(countOf((await sandbox.requests()).counts, "graph", false)).toBe(1);

    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.drifted.defaultDomain });
    const tenant = only(outcome.result);
    expect(tenant.status).toBe("changed");
    expect(tenant.steps.consent).toBe("not-needed");
    const changed = tenant.permissions.filter((p) => p.outcome !== "already-present");
    expect(changed.map((p) => [p.type, p.permission, p.outcome])).toEqual([
      ["appRole", "AuditLog.Read.All", "applied"],
      ["scope", "Policy.Read.All", "applied"],
    ]);

    const after = await sandbox.snapshot(DEMO.drifted.tenantId);
    expect(heldByName(after, DEMO.applicationId)).toEqual(fullSet);
    // Nothing else was touched: every assignment held before is still there under the same id.
    const ids = new Set(after.appRoleAssignments.map((a) => a.id));
    expect(before.appRoleAssignments.every((a) => ids.has(a.id))).toBe(true);
    expect(after.appRoleAssignments.length).toBe(before.appRoleAssignments.length + 1);
    expect(countOf((await sandbox.requests()).counts, "partnerCenter")).toBe(0);
  });

  it("blocks an unlicensed workload with the reason, applies everything else, and does not fail the tenant", async () => {
    // Adatum as if CIPP-SAM had never been consented there.
    const world = demoWorld();
    const spec: WorldSpec = {
      ...world,
      tenants: world.tenants.map((t) =>
        t.tenantId === DEMO.unlicensed.tenantId
          ? {
              ...t,
              appRoleAssignments: [],
              grants: [],
              servicePrincipals: (t.servicePrincipals ?? []).filter((sp) => sp.appId !== DEMO.applicationId),
            }
          : t,
      ),
    };
    await sandbox.loadWorld(spec);

    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.unlicensed.defaultDomain });

    const tenant = only(outcome.result);
    expect(outcome.exitCode).toBe(0);
    expect(tenant.status).toBe("changed");
    const blocked = tenant.permissions.filter((p) => p.outcome === "blocked");
    // Adatum declares Rights Management away (profile no-rms) but still asks for Defender: the
    // resource and each of its permissions are blocked.
    const defender = CUSTOMER_RESOURCES.find((r) => r.resourceAppId === DEFENDER);
    expect(blocked.map((p) => p.type).sort()).toEqual(
      ["resource", ...(defender?.appRoleIds ?? []).map(() => "appRole"), ...(defender?.scopes ?? []).map(() => "scope")].sort(),
    );
    expect(blocked.every((p) => p.resource.appId === DEFENDER && p.blockReason === "resource-unavailable")).toBe(true);
    expect(blocked.find((p) => p.type === "resource")?.detail).toMatch(/not licensed/i);
    expect(tenant.permissions.filter((p) => p.outcome === "failed")).toEqual([]);

    const held = heldByName(await sandbox.snapshot(DEMO.unlicensed.tenantId), DEMO.applicationId);
    const applied = tenant.permissions.filter((p) => p.type === "appRole" && p.outcome === "applied");
    expect(held.appRoles).toHaveLength(applied.length);
    expect(held.appRoles).toEqual(fullSet.appRoles.filter((r) => !r.startsWith(DEFENDER) && !r.startsWith(RMS)));
  });

  it("writes nothing on a second refresh", async () => {
    await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });
    const settled = await sandbox.snapshot(DEMO.fresh.tenantId);
    await sandbox.resetRequests();

    const outcome = await sandbox.run({ mode: "refresh", tenant: DEMO.fresh.defaultDomain });

    const tenant = only(outcome.result);
    expect(tenant.status).toBe("converged");
    expect(tenant.verification).toBeNull();
    expect(tenant.permissions.every((p) => p.outcome === "already-present")).toBe(true);
    const { counts } = await sandbox.requests();
    // One `$batch` POST carries the read; no other write of any kind reaches Graph or Partner Center.
    const writes = counts.filter(
      (c) => c.service !== "login" && ["POST", "PATCH", "DELETE", "PUT"].includes(c.method) && c.path !== "/v1.0/$batch",
    );
    expect(writes).toEqual([]);
    expect(counts.filter((c) => c.path === "/v1.0/$batch").reduce((n, c) => n + c.count, 0)).toBe(1);
    expect(countOf(counts, "partnerCenter")).toBe(0);
    expect(await sandbox.snapshot(DEMO.fresh.tenantId)).toEqual(settled);
  });
});
