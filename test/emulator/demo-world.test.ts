import { randomIds } from "../../src/emulator/ids";
import { CIPP_SAM_PERMISSIONS, demoWorld } from "../../src/emulator/demo-world";
import { DEMO } from "../../src/emulator/demo-ids";
import { canInstantiate, loadWorld, snapshotTenant, type TenantSnapshot } from "../../src/emulator/state";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const PARTNER_CENTER = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";
const RMS = "00000012-0000-0000-c000-000000000000";

const world = loadWorld(demoWorld(), { now: () => Date.UTC(2026, 5, 1) }, randomIds);
const snap = (tenantId: string): TenantSnapshot => {
  const s = snapshotTenant(world, tenantId);
  if (!s) throw new Error(`no tenant ${tenantId}`);
  return s;
};
const cippRoles = (s: TenantSnapshot) => s.appRoleAssignments.filter((a) => a.principalAppId === DEMO.applicationId);
const cippScopes = (s: TenantSnapshot, resourceAppId: string) =>
  s.grants.find((g) => g.clientAppId === DEMO.applicationId && g.resourceAppId === resourceAppId)?.scope.split(" ") ?? [];
const fullRoleCount = CIPP_SAM_PERMISSIONS.reduce((n, r) => n + r.appRoleIds.length, 0);
const customerScopeCount = CIPP_SAM_PERMISSIONS.filter((r) => !r.partnerTenantOnly).reduce((n, r) => n + r.scopes.length, 0);
const scopeCount = (s: TenantSnapshot) =>
  s.grants.filter((g) => g.clientAppId === DEMO.applicationId).reduce((n, g) => n + g.scope.split(" ").length, 0);

describe("demo world", () => {
  it("gives the partner tenant CIPP's full set including Partner Center", () => {
    const partner = snap(DEMO.partner.tenantId);
    expect(cippRoles(partner)).toHaveLength(fullRoleCount);
    expect(cippScopes(partner, PARTNER_CENTER)).toEqual(["user_impersonation"]);
  });

  it("gives the healthy tenant the full set, without Partner Center", () => {
    const healthy = snap(DEMO.healthy.tenantId);
    expect(fullRoleCount).toBe(70);
    expect(customerScopeCount).toBe(106);
    expect(cippRoles(healthy)).toHaveLength(fullRoleCount);
    expect(scopeCount(healthy)).toBe(customerScopeCount);
    expect(cippScopes(healthy, PARTNER_CENTER)).toEqual([]);
  });

  it("drifts the drifted tenant by exactly one app role and one scope", () => {
    const drifted = snap(DEMO.drifted.tenantId);
    expect(cippRoles(drifted).map((a) => a.appRoleValue)).not.toContain("AuditLog.Read.All");
    expect(cippRoles(drifted)).toHaveLength(fullRoleCount - 1);
    expect(cippScopes(drifted, GRAPH)).not.toContain("Policy.Read.All");
    expect(scopeCount(drifted)).toBe(customerScopeCount - 1);
  });

  it("has no CIPP-SAM in the fresh tenant, which stays reachable through GDAP", () => {
    expect(snap(DEMO.fresh.tenantId).servicePrincipals.map((s) => s.appId)).not.toContain(DEMO.applicationId);
    expect(world.gdapRelationships.find((r) => r.customerTenantId === DEMO.fresh.tenantId)?.status).toBe("active");
  });

  it("leaves Defender and Rights Management out of the unlicensed tenant, and not instantiable", () => {
    const unlicensed = snap(DEMO.unlicensed.tenantId);
    const apps = unlicensed.servicePrincipals.map((s) => s.appId);
    expect(apps).not.toContain(DEFENDER);
    expect(apps).not.toContain(RMS);
    expect(canInstantiate(world, DEMO.unlicensed.tenantId, DEFENDER).ok).toBe(false);
    expect(canInstantiate(world, DEMO.unlicensed.tenantId, RMS).ok).toBe(false);
    expect(canInstantiate(world, DEMO.healthy.tenantId, DEFENDER).ok).toBe(true);
    const unlicensedRoles = CIPP_SAM_PERMISSIONS.filter((r) => r.resourceAppId === DEFENDER || r.resourceAppId === RMS).reduce(
      (n, r) => n + r.appRoleIds.length,
      0,
    );
    expect(cippRoles(unlicensed)).toHaveLength(fullRoleCount - unlicensedRoles);
  });

  it("has consent in the no-GDAP tenant but an expired relationship", () => {
    expect(cippRoles(snap(DEMO.noGdap.tenantId))).toHaveLength(fullRoleCount);
    expect(world.gdapRelationships.filter((r) => r.customerTenantId === DEMO.noGdap.tenantId).map((r) => r.status)).toEqual(["expired"]);
  });

  it("has an MFA admin-agent service account", () => {
    expect(world.users.get(DEMO.user.id)).toMatchObject({ mfa: true, adminAgent: true, userPrincipalName: DEMO.user.userPrincipalName });
  });
});
