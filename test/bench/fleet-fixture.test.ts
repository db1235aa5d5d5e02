import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fleetTenants, fleetWorld, writeFleetStacks } from "../../src/bench/fleet-fixture";
import { loadFleet } from "../../src/desired/load";
import { DEMO, demoWorld, loadWorld, snapshotTenant } from "../../src/emulator";
import { isGuid, randomIds } from "../../src/emulator/ids";

const clock = { now: () => Date.UTC(2026, 0, 1) };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("fleetTenants", () => {
  it("derives the same distinct tenants from the same count", () => {
    const tenants = fleetTenants(3);
    expect(fleetTenants(3)).toEqual(tenants);
    expect(new Set(tenants.map((t) => t.tenantId)).size).toBe(3);
    expect(new Set(tenants.map((t) => t.defaultDomain)).size).toBe(3);
    for (const t of tenants) expect(t.tenantId).toMatch(GUID);
    // A larger fleet starts with the same tenants, so a one-tenant baseline is one of the fleet.
    expect(fleetTenants(5).slice(0, 3)).toEqual(tenants);
  });

  it("refuses a count that is not a whole number of at least 1", () => {
    expect(() => fleetTenants(0)).toThrow(/at least|>= 1/);
    expect(() => fleetTenants(2.5)).toThrow(/whole number/);
  });
});

describe("writeFleetStacks", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "fleet-fixture-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("declares exactly the fleet's tenants, and the declarations validate", () => {
    const tenants = fleetTenants(3);
    writeFleetStacks(dir, tenants);

    const fleet = loadFleet(dir);

    expect(fleet.settings.partnerTenantId).toBe(DEMO.partner.tenantId);
    expect(fleet.settings.applicationId).toBe(DEMO.applicationId);
    expect(fleet.settings.cloud).toBe("sandbox");
    expect(fleet.tenants.map((t) => t.tenantId).sort()).toEqual(tenants.map((t) => t.tenantId).sort());
    expect(fleet.tenants.map((t) => t.displayName).sort()).toEqual(tenants.map((t) => t.displayName).sort());
    expect(fleet.tenants.every((t) => !t.excluded)).toBe(true);
  });
});

describe("fleetWorld", () => {
  const tenants = fleetTenants(3);

  it("loads, with the partner and the fleet's tenants only, each with an active GDAP relationship", () => {
    for (const kind of ["converged", "fresh"] as const) {
      const world = loadWorld(fleetWorld(kind, tenants), clock, randomIds);
      expect([...world.tenants.keys()].sort()).toEqual([DEMO.partner.tenantId, ...tenants.map((t) => t.tenantId)].sort());
      expect(world.gdapRelationships.map((r) => r.customerTenantId).sort()).toEqual(tenants.map((t) => t.tenantId).sort());
      expect(world.gdapRelationships.every((r) => r.status === "active" && r.roleTemplateIds.length > 0)).toBe(true);
      for (const t of tenants) expect(isGuid(t.tenantId)).toBe(true);
    }
  });

  it("clones the demo's healthy tenant into a converged fleet and its fresh tenant into a fresh one", () => {
    const demo = loadWorld(demoWorld(), clock, randomIds);
    const held = (snapshot: ReturnType<typeof snapshotTenant>) => ({
      servicePrincipals: snapshot?.servicePrincipals.map((sp) => sp.appId).sort(),
      appRoles: snapshot?.appRoleAssignments.map((a) => `${a.resourceAppId}|${a.appRoleId}`).sort(),
      grants: snapshot?.grants.map((g) => `${g.resourceAppId}|${g.scope}`).sort(),
    });
    const converged = loadWorld(fleetWorld("converged", tenants), clock, randomIds);
    const fresh = loadWorld(fleetWorld("fresh", tenants), clock, randomIds);

    const healthy = held(snapshotTenant(demo, DEMO.healthy.tenantId));
    expect(healthy.appRoles?.length).toBeGreaterThan(0);
    expect(held(snapshotTenant(converged, tenants[2]?.tenantId ?? ""))).toEqual(healthy);

    const neverConsented = held(snapshotTenant(demo, DEMO.fresh.tenantId));
    expect(neverConsented.servicePrincipals).not.toContain(DEMO.applicationId);
    expect(held(snapshotTenant(fresh, tenants[0]?.tenantId ?? ""))).toEqual(neverConsented);
  });
});
