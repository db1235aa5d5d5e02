import "cdktf/lib/testing/adapters/jest";
// Jest's own expect types its asymmetric matchers (the global one returns them as `any`); cdktf's
// adapter registers its matchers at run time but declares them only on the global one: declared here.
import { expect } from "@jest/globals";
import type { TerraformConstructor } from "cdktf/lib/testing/matchers";
import { appendFileSync, cpSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppRoleAssignment } from "@cdktf/provider-azuread/lib/app-role-assignment";
import { DataAzureadServicePrincipal } from "@cdktf/provider-azuread/lib/data-azuread-service-principal";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { ServicePrincipalDelegatedPermissionGrant } from "@cdktf/provider-azuread/lib/service-principal-delegated-permission-grant";
import { App, TerraformStack, Testing } from "cdktf";
import { CippSamPermissions } from "../../src/construct/cipp-sam-permissions";
import { addFleetStacks, renderSynthJson, renderSynthText, synthesizeStacks } from "../../src/construct/fleet-app";
import { CippSamTenantStack } from "../../src/construct/tenant-stack";
import { loadFleet } from "../../src/desired/load";
import type { DesiredTenant, PermissionSet, TerraformBackend } from "../../src/desired/model";
import { tenantStack } from "../../src/plan/stack";
import {
  assignment,
  DEFENDER_APP_ID,
  desiredResource,
  desiredTenant,
  exchangeResource,
  EXCHANGE_APP_ID,
  grant,
  graphResource,
  GRAPH_APP_ID,
  GRAPH_SP_ID,
  read,
  ROLE,
} from "../plan/builders";

declare module "expect" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- merging with expect's Matchers requires its exact type parameters, T included
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    toHaveResourceWithProperties(resourceConstructor: TerraformConstructor, properties: Record<string, unknown>): R;
    toHaveDataSourceWithProperties(dataSourceConstructor: TerraformConstructor, properties: Record<string, unknown>): R;
    toHaveProviderWithProperties(providerConstructor: TerraformConstructor, properties: Record<string, unknown>): R;
  }
}

Testing.setupJest();

const REPORTS = "507bc9da-c4e2-40cb-96a7-ac90df92685c";
const CLIENT = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const STACKS = join(__dirname, "..", "..", "stacks");

interface Synthesized {
  provider?: { azuread?: { tenant_id?: string; environment?: string }[] };
  terraform?: { backend?: Record<string, Record<string, unknown>>; cloud?: Record<string, unknown> };
  import?: { to: string; id: string }[];
  data: { azuread_service_principal: Record<string, { client_id: string; for_each?: Record<string, string> }> };
  resource?: {
    azuread_app_role_assignment?: Record<
      string,
      { for_each: Record<string, string>; app_role_id: string; principal_object_id: string; resource_object_id: string }
    >;
    azuread_service_principal_delegated_permission_grant?: Record<string, { for_each: Record<string, string[]>; claim_values: string }>;
  };
}

const set: PermissionSet = {
  resources: [
    {
      appId: GRAPH_APP_ID,
      displayName: "Microsoft Graph",
      appRoles: ["AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da"],
      scopes: ["openid", "User.Read"],
      unpublishedScopes: [],
    },
    { appId: REPORTS, displayName: "Office 365 Reports", appRoles: [], scopes: [], unpublishedScopes: ["user_impersonation"] },
  ],
};

function synthesize(permissions: PermissionSet): { json: string; out: Synthesized } {
  const json = Testing.synthScope((scope) => new CippSamPermissions(scope, "cipp-sam", { clientId: CLIENT, permissions }));
  return { json, out: JSON.parse(json) as Synthesized };
}

/** The (resource appId, permission) pairs a synthesized stack declares: app roles as "role:<name>", scopes as "scope:<name>". */
function pairsOf(out: Synthesized): string[] {
  const roles = Object.values(out.resource?.azuread_app_role_assignment ?? {}).flatMap((r) =>
    Object.keys(r.for_each).map((key) => key.replace("/", " role:")),
  );
  const scopes = Object.values(out.resource?.azuread_service_principal_delegated_permission_grant ?? {}).flatMap((g) =>
    Object.entries(g.for_each).flatMap(([appId, values]) => values.map((s) => `${appId} scope:${s}`)),
  );
  return [...roles, ...scopes].sort();
}

/** A copy of the repository's stacks with every tenant declared managedBy: terraform. */
export function terraformStacks(extraSettings = ""): string {
  const dir = join(mkdtempSync(join(tmpdir(), "cipp-cpv-tf-")), "stacks");
  cpSync(STACKS, dir, { recursive: true, filter: (source) => !source.endsWith(".ts") });
  for (const file of readdirSync(join(dir, "tenants"))) appendFileSync(join(dir, "tenants", file), "managedBy: terraform\n");
  if (extraSettings !== "") appendFileSync(join(dir, "cipp-cpv.yaml"), extraSettings);
  return dir;
}

describe("CippSamPermissions", () => {
  const { json, out } = synthesize(set);

  it("reads CIPP-SAM's service principal, and every resource's through one for_each data source, by client id", () => {
    expect(json).toHaveDataSourceWithProperties(DataAzureadServicePrincipal, { client_id: CLIENT });
    expect(json).toHaveDataSourceWithProperties(DataAzureadServicePrincipal, {
      client_id: "${each.value}",
      for_each: { [GRAPH_APP_ID]: GRAPH_APP_ID, [REPORTS]: REPORTS },
    });
  });

  it("assigns one app role per application permission: by name through the data source, by GUID as given", () => {
    expect(json).toHaveResourceWithProperties(AppRoleAssignment, {
      for_each: {
        [`${GRAPH_APP_ID}/AuditLog.Read.All`]: "",
        [`${GRAPH_APP_ID}/b0afded3-3588-46d8-8b3d-9842eff778da`]: "b0afded3-3588-46d8-8b3d-9842eff778da",
      },
    });
    const [assignments] = Object.values(out.resource?.azuread_app_role_assignment ?? {});
    expect(assignments?.app_role_id).toMatch(
      /^\$\{each\.value != "" \? each\.value : data\.azuread_service_principal\.[\w-]+\[split\("\/", each\.key\)\[0\]\]\.app_role_ids\[split\("\/", each\.key\)\[1\]\]\}$/,
    );
    expect(assignments?.principal_object_id).toMatch(/^\$\{data\.azuread_service_principal\.cipp-sam_client_\w+\.object_id\}$/);
    expect(assignments?.resource_object_id).toMatch(
      /^\$\{data\.azuread_service_principal\.cipp-sam_resources_\w+\[split\("\/", each\.key\)\[0\]\]\.object_id\}$/,
    );
  });

  it("grants each resource's delegated scopes, unpublished ones included, in one grant per resource", () => {
    expect(json).toHaveResourceWithProperties(ServicePrincipalDelegatedPermissionGrant, {
      claim_values: "${each.value}",
      resource_service_principal_object_id: expect.stringMatching(
        /^\$\{data\.azuread_service_principal\.cipp-sam_resources_\w+\[each\.key\]\.object_id\}$/,
      ),
      for_each: { [GRAPH_APP_ID]: ["openid", "User.Read"], [REPORTS]: ["user_impersonation"] },
    });
  });

  it("declares nothing for a resource without permissions of a kind, and imports nothing without live state", () => {
    const only = synthesize({
      resources: [{ appId: GRAPH_APP_ID, displayName: "Microsoft Graph", appRoles: ["Mail.Read"], scopes: [], unpublishedScopes: [] }],
    });
    expect(pairsOf(only.out)).toEqual([`${GRAPH_APP_ID} role:Mail.Read`]);
    expect(only.out.resource?.azuread_service_principal_delegated_permission_grant).toBeUndefined();
    expect(only.out.import).toBeUndefined();
    expect(out.import).toBeUndefined();
  });
});

describe("adoption from live state (tenantStack)", () => {
  const desired = desiredTenant([
    desiredResource({
      appId: GRAPH_APP_ID,
      displayName: "Microsoft Graph",
      appRoles: ["Application.ReadWrite.All", "Directory.Read.All"],
      scopes: ["User.Read", "Directory.Read.All"],
    }),
    desiredResource({ appId: EXCHANGE_APP_ID, displayName: "Office 365 Exchange Online", appRoles: ["Exchange.ManageAsApp"] }),
    desiredResource({ appId: DEFENDER_APP_ID, displayName: "WindowsDefenderATP", appRoles: ["Vulnerability.Read.All"] }),
  ]);
  const held = assignment(ROLE["Application.ReadWrite.All"]);
  const heldGrant = grant(["User.Read", "Mail.Send"]);
  const reading = read({
    resources: [graphResource(), exchangeResource()],
    unavailable: [{ appId: DEFENDER_APP_ID, reason: "Microsoft Defender for Endpoint is not licensed in this tenant" }],
    appRoleAssignments: [held],
    grants: [heldGrant],
  });
  const outcome = tenantStack(desired, reading);
  if (outcome.kind !== "stack") throw new Error(`expected a stack, got ${outcome.kind}`);
  const json = Testing.synthScope(
    (scope) => new CippSamPermissions(scope, "cipp-sam", { clientId: CLIENT, declaration: outcome.declaration }),
  );
  const out = JSON.parse(json) as Synthesized;

  it("imports each held assignment and grant with the azuread provider's import ids, and creates the rest", () => {
    const assignments = Object.entries(out.resource?.azuread_app_role_assignment ?? {});
    const grants = Object.entries(out.resource?.azuread_service_principal_delegated_permission_grant ?? {});
    expect(out.import).toEqual([
      {
        to: `azuread_app_role_assignment.${assignments[0]?.[0]}["${GRAPH_APP_ID}/Application.ReadWrite.All"]`,
        id: `/servicePrincipals/${GRAPH_SP_ID}/appRoleAssignedTo/${held.id}`,
      },
      {
        to: `azuread_service_principal_delegated_permission_grant.${grants[0]?.[0]}["${GRAPH_APP_ID}"]`,
        id: `/oauth2PermissionGrants/${heldGrant.id}`,
      },
    ]);
    // Ids known from the tenant's own service principal are written as GUIDs, not looked up.
    expect(json).toHaveResourceWithProperties(AppRoleAssignment, {
      for_each: expect.objectContaining({
        [`${GRAPH_APP_ID}/Directory.Read.All`]: ROLE["Directory.Read.All"],
        [`${EXCHANGE_APP_ID}/Exchange.ManageAsApp`]: "dc50a0fb-09a3-484d-be87-e023b12c6440",
      }),
    });
  });

  it("keeps the grant's extra scopes under the keep policy, so the import changes nothing held", () => {
    expect(json).toHaveResourceWithProperties(ServicePrincipalDelegatedPermissionGrant, {
      for_each: { [GRAPH_APP_ID]: ["Directory.Read.All", "User.Read", "Mail.Send"] },
    });
  });

  it("leaves an unlicensed resource out of the stack and lists it as blocked, as the plan does", () => {
    expect(pairsOf(out).some((pair) => pair.startsWith(DEFENDER_APP_ID))).toBe(false);
    expect(json).toHaveDataSourceWithProperties(DataAzureadServicePrincipal, {
      for_each: { [GRAPH_APP_ID]: GRAPH_APP_ID, [EXCHANGE_APP_ID]: EXCHANGE_APP_ID },
    });
    expect(outcome.blocked).toEqual([
      expect.objectContaining({
        resource: expect.objectContaining({ appId: DEFENDER_APP_ID }),
        permission: null,
        reason: "resource-unavailable",
      }),
      expect.objectContaining({
        resource: expect.objectContaining({ appId: DEFENDER_APP_ID }),
        permission: "Vulnerability.Read.All",
        reason: "resource-unavailable",
      }),
    ]);
  });

  it("leaves out a resource whose service principal is absent but could be added, saying why", () => {
    const absent = tenantStack(desired, read({ resources: [graphResource()], appRoleAssignments: [held], grants: [heldGrant] }));
    if (absent.kind !== "stack") throw new Error(absent.kind);
    expect(absent.declaration.resources.map((r) => r.appId)).toEqual([GRAPH_APP_ID]);
    expect(absent.blocked.find((b) => b.resource.appId === EXCHANGE_APP_ID)?.detail).toMatch(
      /not in the tenant yet; the stack reads it and does not create it/,
    );
  });

  it("gives a tenant not yet consented no stack, and says to run refresh first", () => {
    const fresh = tenantStack(desired, {
      kind: "not-consented",
      problem: { kind: "consent-missing", message: "AADSTS65001", action: "consent" },
    });
    expect(fresh).toEqual({
      kind: "not-consented",
      message: expect.stringContaining("run `cipp-cpv refresh --tenant contoso.onmicrosoft.com` first"),
    });
    expect(tenantStack(desired, read({ client: null })).kind).toBe("not-consented");
  });
});

describe("the fleet app", () => {
  it("gives tenants managed by cipp-cpv (the default) no stack", () => {
    const { stacks, report } = addFleetStacks(Testing.app(), loadFleet(STACKS));
    expect(stacks).toHaveLength(0);
    expect(report.notManaged).toBe(6);
  });

  const fleet = loadFleet(terraformStacks());
  const { stacks } = addFleetStacks(Testing.app(), fleet);

  it("has one stack per tenant managed by Terraform that is not excluded", () => {
    expect(stacks.map((s) => s.node.id).sort()).toEqual(
      fleet.tenants
        .filter((t) => !t.excluded)
        .map((t) => t.defaultDomain.replace(/\./g, "-"))
        .sort(),
    );
  });

  it("points each stack's provider at its own tenant, with the partner's set only in the partner's stack", () => {
    for (const stack of stacks as TerraformStack[]) {
      const json = Testing.synth(stack);
      const out = JSON.parse(json) as Synthesized;
      const tenant = fleet.tenants.find((t) => t.defaultDomain.replace(/\./g, "-") === stack.node.id) as DesiredTenant;
      expect(json).toHaveProviderWithProperties(AzureadProvider, { tenant_id: tenant.tenantId });
      const roles = tenant.permissions.resources.reduce((n, r) => n + r.appRoles.length, 0);
      expect(pairsOf(out).filter((p) => p.includes(" role:"))).toHaveLength(roles);
      expect(pairsOf(out).filter((p) => p.includes(" scope:"))).toHaveLength(
        tenant.isPartner ? 107 : tenant.profiles.includes("no-rms") ? 105 : 106,
      );
    }
  });

  it("reports what it synthesized, as text and JSON", () => {
    const outdir = mkdtempSync(join(tmpdir(), "cipp-cpv-out-"));
    const report = synthesizeStacks(fleet, { outdir });
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(stacks.map((s) => s.node.id).sort());
    const text = renderSynthText(report);
    expect(text).toContain(
      "Fabrikam (fabrikam.onmicrosoft.com): stack fabrikam-onmicrosoft-com, 81 declared (no live state: nothing imported, nothing left out)",
    );
    expect(text).toMatch(/^Synth: 6 stacks, 0 without one; 0 tenants managed by cipp-cpv or excluded \(no stack\)\.$/m);
    expect(JSON.parse(renderSynthJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });
});

describe("the identity's rights in the stack", () => {
  it("declares the terraform profile's application permissions for a tenant that lists it, so Terraform keeps them", () => {
    const dir = terraformStacks();
    appendFileSync(join(dir, "tenants", "fabrikam.yaml"), "profiles: [terraform]\n");
    const fleet = loadFleet(dir);
    const { stacks } = addFleetStacks(Testing.app(), fleet);
    const fabrikam = stacks.find((s) => s.node.id === "fabrikam-onmicrosoft-com") as TerraformStack;
    const northwind = stacks.find((s) => s.node.id === "northwind-onmicrosoft-com") as TerraformStack;
    const roles = ["AppRoleAssignment.ReadWrite.All", "Application.Read.All", "DelegatedPermissionGrant.ReadWrite.All"];
    const wanted = Object.fromEntries(roles.map((role) => [`${GRAPH_APP_ID}/${role}`, ""]));
    expect(Testing.synth(fabrikam)).toHaveResourceWithProperties(AppRoleAssignment, { for_each: expect.objectContaining(wanted) });
    expect(Testing.synth(northwind)).not.toHaveResourceWithProperties(AppRoleAssignment, { for_each: expect.objectContaining(wanted) });
  });
});

describe("the provider's cloud", () => {
  it("follows the settings' cloud", () => {
    const dir = join(__dirname, "..", "fixtures", "desired", "stacks-cipp-files");
    const fleet = loadFleet(dir);
    const only = fleet.tenants[0] as DesiredTenant;
    const stack = new CippSamTenantStack(Testing.app(), "one", {
      tenant: only,
      applicationId: fleet.settings.applicationId,
      cloud: fleet.settings.cloud,
    });
    const out = JSON.parse(Testing.synth(stack)) as Synthesized;
    expect(out.provider?.azuread?.[0]).toEqual({ tenant_id: "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", environment: "global" });
  });
});

describe("the backend", () => {
  const tenant = desiredTenant();
  const terraformOf = (backend?: TerraformBackend, outdir?: string): Synthesized["terraform"] => {
    const app: App = Testing.app();
    const stack = new CippSamTenantStack(app, "contoso-onmicrosoft-com", {
      tenant,
      applicationId: CLIENT,
      ...(backend ? { backend } : {}),
      ...(outdir ? { outdir } : {}),
    });
    return (JSON.parse(Testing.synth(stack)) as Synthesized).terraform;
  };
  const backendOf = (backend?: TerraformBackend, outdir?: string): Record<string, Record<string, unknown>> | undefined =>
    terraformOf(backend, outdir)?.backend;

  it("defaults to a state file per tenant at a path relative to the stack's folder, never absolute", () => {
    expect(backendOf(undefined, "cdktf.out")).toEqual({ local: { path: "../../../terraform-state/contoso-onmicrosoft-com.tfstate" } });
    expect(backendOf({ type: "local", directory: "state/tf" }, "cdktf.out")).toEqual({
      local: { path: "../../../state/tf/contoso-onmicrosoft-com.tfstate" },
    });
  });

  it("keys each tenant's state in azurerm, s3, remote and cloud backends", () => {
    expect(
      backendOf({
        type: "azurerm",
        resourceGroupName: "rg",
        storageAccountName: "sa",
        containerName: "tfstate",
        keyPrefix: "cipp-cpv/",
        useOidc: true,
      }),
    ).toEqual({
      azurerm: {
        resource_group_name: "rg",
        storage_account_name: "sa",
        container_name: "tfstate",
        key: "cipp-cpv/contoso-onmicrosoft-com.tfstate",
        use_oidc: true,
      },
    });
    expect(backendOf({ type: "s3", bucket: "b", region: "eu-west-1", keyPrefix: "x/" })).toEqual({
      s3: { bucket: "b", region: "eu-west-1", key: "x/contoso-onmicrosoft-com.tfstate" },
    });
    expect(backendOf({ type: "remote", organization: "msp", workspacePrefix: "cipp-cpv-" })).toEqual({
      remote: { organization: "msp", workspaces: { name: "cipp-cpv-contoso-onmicrosoft-com" } },
    });
    expect(terraformOf({ type: "cloud", organization: "msp", workspacePrefix: "cpv-", hostname: "tfe.example.com" })?.cloud).toEqual({
      organization: "msp",
      hostname: "tfe.example.com",
      workspaces: { name: "cpv-contoso-onmicrosoft-com" },
    });
  });

  it("takes the backend from cipp-cpv.yaml", () => {
    const dir = terraformStacks("terraform:\n  backend:\n    type: s3\n    bucket: msp-state\n    region: eu-west-1\n");
    const fleet = loadFleet(dir);
    expect(fleet.settings.terraform).toEqual({ backend: { type: "s3", bucket: "msp-state", region: "eu-west-1", keyPrefix: "cipp-cpv/" } });
    const { stacks } = addFleetStacks(Testing.app(), fleet);
    const out = JSON.parse(Testing.synth(stacks[0] as TerraformStack)) as Synthesized;
    expect(out.terraform?.backend?.["s3"]?.["key"]).toBe(`cipp-cpv/${stacks[0]?.node.id}.tfstate`);
  });
});
