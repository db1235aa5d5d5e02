import { randomIds } from "../../src/emulator/ids";
import { WorldSpecError, assignmentId, canInstantiate, grantId, loadWorld, snapshotTenant } from "../../src/emulator/state";
import type { WorldSpec } from "../../src/emulator/world";

const clock = { now: () => Date.UTC(2026, 0, 1) };
const GRAPH = "00000003-0000-0000-c000-000000000000";
const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";
const APP = "11111111-2222-4333-8444-555555555555";
const PARTNER = "aaaaaaaa-0000-4000-8000-000000000001";
const CUSTOMER = "aaaaaaaa-0000-4000-8000-000000000002";

function spec(overrides: Partial<WorldSpec> = {}): WorldSpec {
  return {
    partnerTenantId: PARTNER,
    applications: [{ appId: APP, displayName: "Sample App", homeTenantId: PARTNER }],
    firstPartyApps: [
      {
        appId: GRAPH,
        displayName: "Microsoft Graph",
        appRoles: [{ id: "b0afded3-3588-46d8-8b3d-9842eff778da", value: "AuditLog.Read.All" }],
        oauth2PermissionScopes: [{ id: "572fea84-0151-49b2-9301-11cb16974376", value: "Policy.Read.All" }],
      },
      {
        appId: DEFENDER,
        displayName: "WindowsDefenderATP",
        appRoles: [],
        oauth2PermissionScopes: [],
        requiresServicePlans: ["WINDEFATP"],
      },
    ],
    users: [],
    tenants: [
      { tenantId: PARTNER, defaultDomain: "partner.example", displayName: "Partner" },
      {
        tenantId: CUSTOMER,
        defaultDomain: "customer.example",
        displayName: "Customer",
        subscribedSkus: [{ skuPartNumber: "O365_BUSINESS_PREMIUM", servicePlans: ["EXCHANGE_S_STANDARD"] }],
        servicePrincipals: [{ appId: APP }, { appId: GRAPH }],
        appRoleAssignments: [{ principalAppId: APP, resourceAppId: GRAPH, appRole: "AuditLog.Read.All" }],
        grants: [{ clientAppId: APP, resourceAppId: GRAPH, scope: "Policy.Read.All" }],
      },
    ],
    gdapRelationships: [],
    ...overrides,
  };
}

describe("id formats", () => {
  it("builds grant ids as Entra does (documentation example)", () => {
    expect(grantId("ef969797-201d-4f6b-960c-e9ed5f31dab5", "943603e4-e787-4fe9-93d1-e30f749aae39")).toBe(
      "l5eW7x0ga0-WDOntXzHateQDNpSH5-lPk9HjD3Sarjk",
    );
  });

  it("starts assignment ids with the principal id's bytes", () => {
    const id = assignmentId("8e881353-1735-45af-af21-ee1344582a4d", randomIds);
    expect(id.startsWith("UxOIjjUXr0WvIe4TRFgqT")).toBe(true);
    expect(Buffer.from(id, "base64url")).toHaveLength(32);
  });
});

describe("loadWorld", () => {
  it("materialises service principals, assignments and grants with resolved names", () => {
    const world = loadWorld(spec(), clock, randomIds);
    const snap = snapshotTenant(world, CUSTOMER);
    expect(snap?.servicePrincipals.map((s) => s.appId).sort()).toEqual([GRAPH, APP].sort());
    expect(snap?.appRoleAssignments).toEqual([
      expect.objectContaining({ principalAppId: APP, resourceAppId: GRAPH, appRoleValue: "AuditLog.Read.All" }),
    ]);
    const grant = snap?.grants[0];
    expect(grant).toEqual(
      expect.objectContaining({ clientAppId: APP, resourceAppId: GRAPH, scope: "Policy.Read.All", consentType: "AllPrincipals" }),
    );
    expect(grant?.id).toBe(grantId(grant?.clientId ?? "", grant?.resourceId ?? ""));
    expect(world.behaviour.consentDeleteRemovesServicePrincipal).toBe(true);
  });

  it("finds a tenant by default domain", () => {
    expect(snapshotTenant(loadWorld(spec(), clock, randomIds), "Customer.Example")?.tenantId).toBe(CUSTOMER);
  });

  it("reports every cross-reference problem at once", () => {
    const bad = spec({
      partnerTenantId: "bbbbbbbb-0000-4000-8000-000000000009",
      tenants: [
        {
          tenantId: CUSTOMER,
          defaultDomain: "customer.example",
          displayName: "Customer",
          servicePrincipals: [{ appId: APP }],
          appRoleAssignments: [{ principalAppId: APP, resourceAppId: GRAPH, appRole: "AuditLog.Read.All" }],
          grants: [{ clientAppId: APP, resourceAppId: APP, scope: "Nope.Read" }],
        },
      ],
    });
    let error: unknown;
    try {
      loadWorld(bad, clock, randomIds);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorldSpecError);
    const problems = (error as WorldSpecError).problems.join("\n");
    expect(problems).toMatch(/partnerTenantId .* is not among the tenants/);
    expect(problems).toMatch(/assignment resource '00000003-0000-0000-c000-000000000000' has no service principal/);
    expect(problems).toMatch(/has no delegated scope 'Nope.Read'/);
  });

  it("rejects a structurally invalid spec with the path of the problem", () => {
    expect(() => loadWorld({ ...spec(), tenants: [{ tenantId: 3 }] } as unknown as WorldSpec, clock, randomIds)).toThrow(/\/tenants\/0/);
  });
});

describe("canInstantiate", () => {
  it("requires one of the licensing service plans", () => {
    const world = loadWorld(spec(), clock, randomIds);
    expect(canInstantiate(world, CUSTOMER, GRAPH)).toEqual({ ok: true });
    const defender = canInstantiate(world, CUSTOMER, DEFENDER);
    expect(defender.ok).toBe(false);
    expect(defender.ok ? "" : defender.reason).toMatch(/WINDEFATP/);
    expect(canInstantiate(world, CUSTOMER, APP)).toEqual({ ok: true });
  });
});
