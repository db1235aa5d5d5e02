/** Plans and results covering every kind of line the reports show, built through the real diff. */
import { runResultOf, type PermissionResult, type TenantResult } from "../../src/apply/result";
import { planTenant } from "../../src/plan/diff";
import type { FleetPlan } from "../../src/plan/model";
import {
  DEFENDER_APP_ID,
  GRAPH_APP_ID,
  GRAPH_WANTED,
  ROLE,
  assignment,
  desiredResource,
  desiredTenant,
  grant,
  healthyGraph,
  read,
} from "../plan/builders";

const DEFENDER = desiredResource({
  appId: DEFENDER_APP_ID,
  displayName: "WindowsDefenderATP",
  appRoles: ["Vulnerability.Read"],
  unpublishedScopes: ["user_impersonation"],
});

export function tenantNamed(n: number, displayName = `Tenant ${n}`): Parameters<typeof desiredTenant>[1] {
  const hex = n.toString(16).padStart(12, "0");
  return { tenantId: `00000000-0000-4000-8000-${hex}`, defaultDomain: `tenant${n}.onmicrosoft.com`, displayName };
}

/** Four tenants: drifted (add, update, remove), converged with an unlicensed workload, inaccessible, fresh. */
export function sampleFleetPlan(): FleetPlan {
  const drifted = planTenant(
    desiredTenant([GRAPH_WANTED], { ...tenantNamed(1, "Contoso"), extras: { appRoles: "remove", scopes: "remove" } }),
    read({
      appRoleAssignments: [assignment(ROLE["Directory.Read.All"]), assignment(ROLE["Group.ReadWrite.All"])],
      grants: [grant(["Directory.Read.All", "DelegatedAdminRelationship.ReadWrite.All"])],
    }),
  );
  const unlicensed = planTenant(
    desiredTenant([GRAPH_WANTED, DEFENDER], tenantNamed(2, "Fabrikam")),
    healthyGraph({ unavailable: [{ appId: DEFENDER_APP_ID, reason: "no Microsoft Defender for Endpoint licence" }] }),
  );
  const inaccessible = planTenant(desiredTenant([GRAPH_WANTED], tenantNamed(3, "Northwind")), {
    kind: "inaccessible",
    problem: { kind: "no-gdap-relationship", message: "No active GDAP relationship", action: "Create a GDAP relationship" },
  });
  const fresh = planTenant(desiredTenant([GRAPH_WANTED], tenantNamed(4, "Tailspin")), {
    kind: "not-consented",
    problem: { kind: "consent-missing", message: "AADSTS65001", action: "Refresh" },
  });
  return { tenants: [drifted, unlicensed, inaccessible, fresh] };
}

/** A fleet of `count` fresh tenants each wanting `roles` app roles and `scopes` scopes: the worst case for size. */
export function largeFreshFleet(count: number, roles: number, scopes: number): FleetPlan {
  const wanted = desiredResource({
    appId: GRAPH_APP_ID,
    displayName: "Microsoft Graph",
    appRoles: Array.from({ length: roles }, (_, i) => `Role${i}.ReadWrite.All`),
    scopes: Array.from({ length: scopes }, (_, i) => `Scope${i}.ReadWrite.All`),
  });
  return {
    tenants: Array.from({ length: count }, (_, i) =>
      planTenant(desiredTenant([wanted], tenantNamed(i + 1)), {
        kind: "not-consented",
        problem: { kind: "consent-missing", message: "AADSTS65001", action: "Refresh" },
      }),
    ),
  };
}

const graph = { appId: GRAPH_APP_ID, displayName: "Microsoft Graph" };
const defender = { appId: DEFENDER_APP_ID, displayName: "WindowsDefenderATP" };

function permission(overrides: Partial<PermissionResult> & Pick<PermissionResult, "permission" | "outcome">): PermissionResult {
  return { resource: graph, type: "appRole", blockReason: null, detail: null, error: null, ...overrides };
}

const baseTenant = {
  problem: null,
  skippedReason: null,
  steps: { consent: "already-existed" as const, reset: null },
  verification: null,
  error: null,
  durationMs: 2100,
  requests: { graph: 12, partnerCenter: 1, token: 2, throttled: 0 },
};

export const SECRET_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eXoifQ.c2lnbmF0dXJl";

/** A refresh: one changed tenant, one failed tenant (with a token in the error message), one reset, one skipped. */
export function sampleRunResult(): ReturnType<typeof runResultOf> {
  const changed: TenantResult = {
    ...baseTenant,
    tenant: { tenantId: "00000000-0000-4000-8000-000000000001", defaultDomain: "contoso.onmicrosoft.com", displayName: "Contoso" },
    status: "changed",
    permissions: [
      permission({ permission: "Application.ReadWrite.All", outcome: "applied" }),
      permission({ permission: "Directory.Read.All", outcome: "already-present" }),
      permission({ permission: "Group.ReadWrite.All", outcome: "removed" }),
      permission({ type: "scope", permission: "User.Read", outcome: "applied" }),
      permission({
        resource: defender,
        type: "resource",
        permission: null,
        outcome: "blocked",
        blockReason: "resource-unavailable",
        detail: "no licence",
      }),
      permission({
        resource: defender,
        permission: "Vulnerability.Read",
        outcome: "blocked",
        blockReason: "resource-unavailable",
        detail: "no licence",
      }),
    ],
    verification: { converged: true, actions: [], blocked: [], problem: null },
  };
  const failed: TenantResult = {
    ...baseTenant,
    tenant: { tenantId: "00000000-0000-4000-8000-000000000002", defaultDomain: "fabrikam.onmicrosoft.com", displayName: "Fabrikam" },
    status: "failed",
    permissions: [
      permission({
        permission: "User.Read.All",
        outcome: "failed",
        error: {
          service: "graph",
          status: 403,
          code: "Authorization_RequestDenied",
          message: `Insufficient privileges (Bearer ${SECRET_JWT})`,
        },
      }),
    ],
    verification: {
      converged: false,
      actions: [{ kind: "add-app-role", resource: graph, permission: "User.Read.All", appRoleId: ROLE["User.Read.All"] }],
      blocked: [],
      problem: null,
    },
  };
  const reset: TenantResult = {
    ...baseTenant,
    tenant: { tenantId: "00000000-0000-4000-8000-000000000003", defaultDomain: "northwind.onmicrosoft.com", displayName: "Northwind" },
    status: "changed",
    steps: {
      consent: "created",
      reset: {
        removed: true,
        error: null,
        snapshot: {
          servicePrincipalId: "c1e7c1e7-0000-4000-8000-000000000009",
          appRoles: [{ resource: graph, permission: "Directory.Read.All", appRoleId: ROLE["Directory.Read.All"] }],
          grants: [{ resource: graph, consentType: "AllPrincipals", principalId: null, scopes: ["User.Read"] }],
        },
      },
    },
    permissions: [permission({ permission: "Directory.Read.All", outcome: "applied" })],
  };
  const skipped: TenantResult = {
    ...baseTenant,
    tenant: { tenantId: "00000000-0000-4000-8000-000000000004", defaultDomain: "tailspin.onmicrosoft.com", displayName: "Tailspin" },
    status: "skipped",
    skippedReason: "Excluded in stacks/tenants/tailspin.yaml",
    steps: { consent: "not-needed", reset: null },
    permissions: [],
    durationMs: 0,
    requests: { graph: 0, partnerCenter: 0, token: 0, throttled: 0 },
  };
  return runResultOf("refresh", "2026-11-26T10:00:00.000Z", "2026-11-26T10:00:05.000Z", [changed, failed, reset, skipped]);
}
