import { join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { CippSamPermissions } from "../../src/construct/cipp-sam-permissions";
import { addFleetStacks } from "../../src/construct/fleet-app";
import { loadFleet } from "../../src/desired/load";
import type { PermissionSet } from "../../src/desired/model";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const REPORTS = "507bc9da-c4e2-40cb-96a7-ac90df92685c";
const CLIENT = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";

interface Synthesized {
  provider?: { azuread?: { tenant_id?: string; environment?: string }[] };
  data: { azuread_service_principal: Record<string, { client_id: string }> };
  resource: {
    azuread_app_role_assignment?: Record<string, { app_role_id: string; principal_object_id: string; resource_object_id: string }>;
    azuread_service_principal_delegated_permission_grant?: Record<string, { claim_values: string[]; resource_service_principal_object_id: string }>;
  };
}

const set: PermissionSet = {
  resources: [
    { appId: GRAPH, displayName: "Microsoft Graph", appRoles: ["AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da"], scopes: ["openid", "User.Read"], unpublishedScopes: [] },
    { appId: REPORTS, displayName: "Office 365 Reports", appRoles: [], scopes: [], unpublishedScopes: ["user_impersonation"] },
  ],
};

function synthesize(permissions: PermissionSet): Synthesized {
  const json = Testing.synthScope((scope) => new CippSamPermissions(scope, "cipp-sam", { clientId: CLIENT, permissions }));
  return JSON.parse(json) as Synthesized;
}

describe("CippSamPermissions", () => {
  const out = synthesize(set);
  const dataSources = Object.values(out.data.azuread_service_principal);
  const assignments = Object.values(out.resource.azuread_app_role_assignment ?? {});
  const grants = Object.values(out.resource.azuread_service_principal_delegated_permission_grant ?? {});

  it("reads CIPP-SAM's and every resource's service principal by client id", () => {
    expect(dataSources.map((d) => d.client_id).sort()).toEqual([GRAPH, REPORTS, CLIENT].sort());
  });

  it("assigns one app role per application permission, by name through the data source or by GUID as given", () => {
    expect(assignments).toHaveLength(2);
    const ids = assignments.map((a) => a.app_role_id);
    expect(ids).toContainEqual(expect.stringMatching(/^\$\{data\.azuread_service_principal\.[\w-]+\.app_role_ids\["AuditLog\.Read\.All"\]\}$/));
    expect(ids).toContain("b0afded3-3588-46d8-8b3d-9842eff778da");
    for (const a of assignments) {
      expect(a.principal_object_id).toMatch(/^\$\{data\.azuread_service_principal\.cipp-sam_client_[\w]+\.object_id\}$/);
      expect(a.resource_object_id).toMatch(/^\$\{data\.azuread_service_principal\.cipp-sam_resource-00000003-0000-0000-c000-000000000000_\w+\.object_id\}$/);
    }
  });

  it("grants each resource's delegated scopes, unpublished ones included, in one grant", () => {
    expect(grants.map((g) => g.claim_values).sort()).toEqual([["openid", "User.Read"], ["user_impersonation"]]);
  });

  it("declares nothing for a resource without permissions of a kind", () => {
    const only = synthesize({ resources: [{ appId: GRAPH, displayName: "Microsoft Graph", appRoles: ["Mail.Read"], scopes: [], unpublishedScopes: [] }] });
    expect(Object.keys(only.resource.azuread_app_role_assignment ?? {})).toHaveLength(1);
    expect(only.resource.azuread_service_principal_delegated_permission_grant).toBeUndefined();
  });
});

describe("the fleet app", () => {
  const app: App = Testing.app();
  const fleet = loadFleet(join(__dirname, "..", "..", "stacks"));
  const stacks = addFleetStacks(app, fleet);

  it("has one stack per declared tenant that is not excluded", () => {
    expect(stacks.map((s) => s.node.id).sort()).toEqual(
      fleet.tenants.filter((t) => !t.excluded).map((t) => t.defaultDomain.replace(/\./g, "-")).sort(),
    );
  });

  it("points each stack's provider at its own tenant, with the partner's set only in the partner's stack", () => {
    for (const stack of stacks as TerraformStack[]) {
      const out = JSON.parse(Testing.synth(stack)) as Synthesized;
      const tenant = fleet.tenants.find((t) => t.defaultDomain.replace(/\./g, "-") === stack.node.id);
      expect(out.provider?.azuread?.[0]?.tenant_id).toBe(tenant?.tenantId);
      const roles = tenant?.permissions.resources.reduce((n, r) => n + r.appRoles.length, 0);
      expect(Object.keys(out.resource.azuread_app_role_assignment ?? {})).toHaveLength(roles ?? -1);
      const grantScopes = Object.values(out.resource.azuread_service_principal_delegated_permission_grant ?? {}).reduce((n, g) => n + g.claim_values.length, 0);
      expect(grantScopes).toBe(tenant?.isPartner ? 107 : tenant?.profiles.includes("no-rms") ? 105 : 106);
    }
  });
});

describe("the provider's cloud", () => {
  it("follows the settings' cloud", () => {
    const app: App = Testing.app();
    const [stack, ...others] = addFleetStacks(app, loadFleet(join(__dirname, "..", "fixtures", "desired", "stacks-cipp-files")));
    expect(others).toHaveLength(0);
    const out = JSON.parse(Testing.synth(stack as TerraformStack)) as Synthesized;
    expect(out.provider?.azuread?.[0]).toEqual({ tenant_id: "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", environment: "global" });
  });
});
