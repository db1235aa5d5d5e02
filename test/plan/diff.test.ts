import { planFleet, planTenant } from "../../src/plan/diff";
import type { PlanAction, TenantPlan } from "../../src/plan/model";
import { residualDifference } from "../../src/plan/residual";
import { countTenantPlan, summariseFleetPlan } from "../../src/plan/summary";
import type { LiveReading } from "../../src/live/model";
import {
  BOOTSTRAP,
  DEFENDER_APP_ID,
  EXCHANGE_APP_ID,
  EXCHANGE_SP_ID,
  GRAPH_APP_ID,
  GRAPH_WANTED,
  ROLE,
  SCOPE,
  assignment,
  desiredResource,
  desiredTenant,
  exchangeResource,
  grant,
  graphResource,
  healthyGraph,
  read,
} from "./builders";

function kinds(plan: TenantPlan): string[] {
  return plan.actions.map((action) => action.kind);
}

function only<K extends PlanAction["kind"]>(plan: TenantPlan, kind: K): Extract<PlanAction, { kind: K }>[] {
  return plan.actions.filter((action): action is Extract<PlanAction, { kind: K }> => action.kind === kind);
}

const problem = { kind: "consent-missing" as const, message: "AADSTS65001: no consent", action: "Run a refresh" };

describe("planTenant on a tenant that can be read", () => {
  test("a healthy tenant needs no action", () => {
    const plan = planTenant(desiredTenant(), healthyGraph());
    expect(plan.status).toBe("converged");
    expect(plan.actions).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(plan.kept).toEqual([]);
    expect(plan.problem).toBeNull();
    expect(residualDifference(plan).converged).toBe(true);
  });

  test("drift: exactly the missing app role and the missing scope, by name", () => {
    const reading = read({
      appRoleAssignments: [assignment(ROLE["Directory.Read.All"])],
      grants: [grant(["Directory.Read.All"])],
    });
    const plan = planTenant(desiredTenant(), reading);
    expect(plan.status).toBe("changes");
    expect(plan.actions).toEqual([
      {
        kind: "add-app-role",
        resource: { appId: GRAPH_APP_ID, displayName: "Microsoft Graph" },
        permission: "Application.ReadWrite.All",
        appRoleId: ROLE["Application.ReadWrite.All"],
      },
      expect.objectContaining({ kind: "update-grant", add: ["User.Read"], remove: [], scopes: ["Directory.Read.All", "User.Read"] }),
    ]);
    expect(residualDifference(plan)).toMatchObject({ converged: false, actions: plan.actions });
  });

  test("a fresh resource grant is created with every wanted scope, sorted", () => {
    const plan = planTenant(
      desiredTenant(),
      read({ appRoleAssignments: [assignment(ROLE["Application.ReadWrite.All"]), assignment(ROLE["Directory.Read.All"])] }),
    );
    expect(only(plan, "create-grant")).toEqual([expect.objectContaining({ scopes: ["Directory.Read.All", "User.Read"] })]);
  });

  test("references by GUID resolve to names against the live resource", () => {
    const wanted = desiredResource({
      appId: GRAPH_APP_ID,
      displayName: "Graph (declared)",
      appRoles: [ROLE["User.Read.All"].toUpperCase()],
      scopes: [SCOPE["DelegatedAdminRelationship.ReadWrite.All"]],
    });
    const plan = planTenant(desiredTenant([wanted]), read());
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: "add-app-role", permission: "User.Read.All", appRoleId: ROLE["User.Read.All"] }),
      expect.objectContaining({ kind: "create-grant", scopes: ["DelegatedAdminRelationship.ReadWrite.All"] }),
    ]);
    // The live service principal's name wins over the declared one.
    expect(plan.actions[0]).toMatchObject({ resource: { displayName: "Microsoft Graph" } });
  });

  test("permissions the resource does not publish are blocked, by name or id", () => {
    const unknownScopeId = "dddddddd-0000-4000-8000-00000000000d";
    const wanted = desiredResource({
      appId: GRAPH_APP_ID,
      appRoles: ["Made.Up.All", ROLE["Group.ReadWrite.All"]],
      scopes: [unknownScopeId],
    });
    const plan = planTenant(desiredTenant([wanted]), read());
    expect(plan.blocked.map((item) => [item.type, item.permission, item.reason])).toEqual([
      ["appRole", "Made.Up.All", "not-published"],
      ["scope", unknownScopeId, "not-published"],
    ]);
    expect(plan.actions).toEqual([expect.objectContaining({ kind: "add-app-role", permission: "Group.ReadWrite.All" })]);
  });

  test("user-only and disabled app roles are blocked with their reason; disabled scopes too", () => {
    const wanted = desiredResource({
      appId: GRAPH_APP_ID,
      appRoles: ["Reports.UserOnly", "Legacy.Disabled"],
      scopes: ["Legacy.Scope"],
    });
    const plan = planTenant(desiredTenant([wanted]), read());
    expect(plan.status).toBe("converged");
    expect(plan.blocked.map((item) => [item.permission, item.reason])).toEqual([
      ["Legacy.Disabled", "disabled"],
      ["Reports.UserOnly", "not-assignable"],
      ["Legacy.Scope", "disabled"],
    ]);
    expect(plan.blocked[1]?.detail).toMatch(/users and groups only/);
  });

  test("an unlicensed resource is blocked with its reason and every permission by name", () => {
    const defender = desiredResource({
      appId: DEFENDER_APP_ID,
      displayName: "WindowsDefenderATP",
      appRoles: ["Vulnerability.Read"],
      scopes: ["Vulnerability.Read"],
      unpublishedScopes: ["user_impersonation"],
    });
    const reading = healthyGraph({ unavailable: [{ appId: DEFENDER_APP_ID, reason: "no Microsoft Defender for Endpoint licence" }] });
    const plan = planTenant(desiredTenant([GRAPH_WANTED, defender]), reading);
    expect(plan.status).toBe("converged");
    expect(plan.blocked.map((item) => [item.type, item.permission, item.reason])).toEqual([
      ["resource", null, "resource-unavailable"],
      ["appRole", "Vulnerability.Read", "resource-unavailable"],
      ["scope", "user_impersonation", "resource-unavailable"],
      ["scope", "Vulnerability.Read", "resource-unavailable"],
    ]);
    expect(plan.blocked.every((item) => item.detail.includes("no Microsoft Defender for Endpoint licence"))).toBe(true);
    expect(residualDifference(plan)).toMatchObject({ converged: true, blocked: plan.blocked });
    expect(countTenantPlan(plan).blocked).toBe(3);
  });

  test("a resource absent but available is created, then its permissions added without ids", () => {
    const exchange = desiredResource({
      appId: EXCHANGE_APP_ID,
      displayName: "Office 365 Exchange Online",
      appRoles: ["Exchange.ManageAsApp"],
      scopes: ["Exchange.Manage"],
    });
    const plan = planTenant(desiredTenant([GRAPH_WANTED, exchange]), healthyGraph());
    const resource = { appId: EXCHANGE_APP_ID, displayName: "Office 365 Exchange Online" };
    expect(plan.actions).toEqual([
      { kind: "create-resource", resource },
      { kind: "add-app-role", resource, permission: "Exchange.ManageAsApp", appRoleId: null },
      { kind: "create-grant", resource, scopes: ["Exchange.Manage"] },
    ]);
  });

  test("resources keep declaration order; permissions within a resource are sorted by name", () => {
    const exchange = desiredResource({ appId: EXCHANGE_APP_ID, appRoles: ["Exchange.ManageAsApp"] });
    const graph = desiredResource({ appId: GRAPH_APP_ID, appRoles: ["User.Read.All", "Application.ReadWrite.All", "Directory.Read.All"] });
    const plan = planTenant(desiredTenant([exchange, graph]), read({ resources: [graphResource(), exchangeResource()] }));
    expect(plan.actions.map((action) => ("permission" in action ? action.permission : action.kind))).toEqual([
      "Exchange.ManageAsApp",
      "Application.ReadWrite.All",
      "Directory.Read.All",
      "User.Read.All",
    ]);
  });

  describe("extras", () => {
    const drifted = (): LiveReading =>
      healthyGraph({
        appRoleAssignments: [
          assignment(ROLE["Application.ReadWrite.All"]),
          assignment(ROLE["Directory.Read.All"]),
          assignment(ROLE["Group.ReadWrite.All"]),
        ],
        grants: [grant(["Directory.Read.All", "User.Read", "DelegatedAdminRelationship.ReadWrite.All"])],
      });

    test("keep: nothing removed, extras listed as kept", () => {
      const plan = planTenant(desiredTenant(), drifted());
      expect(plan.status).toBe("converged");
      expect(plan.kept.map((item) => [item.type, item.permission])).toEqual([
        ["appRole", "Group.ReadWrite.All"],
        ["scope", "DelegatedAdminRelationship.ReadWrite.All"],
      ]);
    });

    test("remove: exactly the extra role and the extra scope, by name", () => {
      const reading = drifted();
      const plan = planTenant(desiredTenant(undefined, { extras: { appRoles: "remove", scopes: "remove" } }), reading);
      const extraAssignment = reading.kind === "read" ? reading.live.appRoleAssignments[2] : undefined;
      expect(plan.actions).toEqual([
        expect.objectContaining({ kind: "remove-app-role", permission: "Group.ReadWrite.All", assignmentId: extraAssignment?.id }),
        expect.objectContaining({
          kind: "update-grant",
          add: [],
          remove: ["DelegatedAdminRelationship.ReadWrite.All"],
          scopes: ["Directory.Read.All", "User.Read"],
        }),
      ]);
      expect(plan.kept).toEqual([]);
      expect(countTenantPlan(plan)).toMatchObject({ add: 0, remove: 2 });
    });

    test("remove: the bootstrap scopes stay on Microsoft Graph's grant, kept with a warning, so CIPP-SAM can still write", () => {
      const reading = healthyGraph({
        grants: [grant(["Directory.Read.All", "User.Read", ...BOOTSTRAP, "DelegatedAdminRelationship.ReadWrite.All"])],
      });
      const plan = planTenant(desiredTenant(undefined, { extras: { scopes: "remove" } }), reading);
      expect(only(plan, "update-grant")).toEqual([
        expect.objectContaining({
          remove: ["DelegatedAdminRelationship.ReadWrite.All"],
          scopes: [
            "AppRoleAssignment.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "User.Read",
          ],
        }),
      ]);
      expect(plan.kept.map((item) => item.permission)).toEqual([
        "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.ReadWrite.All",
      ]);
      expect(plan.warnings.map((warning) => warning.permission)).toEqual(plan.kept.map((item) => item.permission));
    });

    test("keep: the new scope string is live ∪ desired", () => {
      const plan = planTenant(
        desiredTenant(),
        read({
          appRoleAssignments: [assignment(ROLE["Application.ReadWrite.All"]), assignment(ROLE["Directory.Read.All"])],
          grants: [grant(["Directory.ReadWrite.All", "Directory.Read.All"])],
        }),
      );
      expect(only(plan, "update-grant")).toEqual([
        expect.objectContaining({ add: ["User.Read"], remove: [], scopes: ["Directory.Read.All", "Directory.ReadWrite.All", "User.Read"] }),
      ]);
    });

    test("roles no longer published are removed by id", () => {
      const orphan = "eeeeeeee-0000-4000-8000-00000000000e";
      const plan = planTenant(
        desiredTenant(undefined, { extras: { appRoles: "remove" } }),
        healthyGraph({
          appRoleAssignments: [assignment(ROLE["Application.ReadWrite.All"]), assignment(ROLE["Directory.Read.All"]), assignment(orphan)],
        }),
      );
      expect(only(plan, "remove-app-role").map((action) => action.permission)).toEqual([orphan]);
    });

    test("extras on resources the declaration does not mention follow the same policies", () => {
      const reading = healthyGraph({
        resources: [graphResource(), exchangeResource()],
        appRoleAssignments: [
          assignment(ROLE["Application.ReadWrite.All"]),
          assignment(ROLE["Directory.Read.All"]),
          assignment("dc50a0fb-09a3-484d-be87-e023b12c6440", EXCHANGE_SP_ID),
        ],
        grants: [grant(["Directory.Read.All", "User.Read"]), grant(["Exchange.Manage"], { resourceId: EXCHANGE_SP_ID })],
      });
      const kept = planTenant(desiredTenant(), reading);
      expect(kept.status).toBe("converged");
      expect(kept.kept.map((item) => `${item.resource.displayName}: ${item.permission}`)).toEqual([
        "Office 365 Exchange Online: Exchange.ManageAsApp",
        "Office 365 Exchange Online: Exchange.Manage",
      ]);
      const removed = planTenant(desiredTenant(undefined, { extras: { appRoles: "remove", scopes: "remove" } }), reading);
      expect(removed.actions).toEqual([
        expect.objectContaining({ kind: "remove-app-role", permission: "Exchange.ManageAsApp" }),
        expect.objectContaining({ kind: "update-grant", remove: ["Exchange.Manage"], scopes: [] }),
      ]);
    });
  });

  describe("delegated grants", () => {
    test("unpublished scopes are granted; only undeclared ones carry a warning", () => {
      const wanted = desiredResource({
        appId: GRAPH_APP_ID,
        scopes: ["User.Read", "Mistyped.Scope"],
        unpublishedScopes: ["AllProfiles.Manage"],
      });
      const plan = planTenant(desiredTenant([wanted]), read());
      expect(only(plan, "create-grant")[0]?.scopes).toEqual(["AllProfiles.Manage", "Mistyped.Scope", "User.Read"]);
      expect(plan.warnings.map((warning) => warning.permission)).toEqual(["Mistyped.Scope"]);
      expect(plan.blocked).toEqual([]);
    });

    test("duplicate AllPrincipals grants: the best match is kept, the others deleted", () => {
      const poor = grant(["DelegatedAdminRelationship.ReadWrite.All"]);
      const best = grant(["Directory.Read.All", "User.Read"]);
      const plan = planTenant(desiredTenant(undefined, { extras: { scopes: "remove" } }), healthyGraph({ grants: [poor, best] }));
      expect(plan.actions).toEqual([expect.objectContaining({ kind: "delete-duplicate-grant", grantId: poor.id })]);
    });

    test("keep policy carries a duplicate's extra scopes over to the grant that stays", () => {
      const poor = grant(["Directory.ReadWrite.All"]);
      const best = grant(["Directory.Read.All", "User.Read"]);
      const plan = planTenant(desiredTenant(), healthyGraph({ grants: [best, poor] }));
      expect(plan.actions).toEqual([
        expect.objectContaining({ kind: "delete-duplicate-grant", grantId: poor.id }),
        expect.objectContaining({ kind: "update-grant", grantId: best.id, add: ["Directory.ReadWrite.All"], remove: [] }),
      ]);
    });

    test("per-user Principal grants are never touched, even under the remove policy", () => {
      const perUser = grant(["Mail.Read"], { consentType: "Principal", principalId: "99999999-0000-4000-8000-000000000009" });
      const plan = planTenant(
        desiredTenant(undefined, { extras: { appRoles: "remove", scopes: "remove" } }),
        healthyGraph({ grants: [grant(["Directory.Read.All", "User.Read"]), perUser] }),
      );
      expect(plan.status).toBe("converged");
      expect(plan.actions).toEqual([]);
      expect(JSON.stringify(plan)).not.toContain(perUser.id);
    });

    test("a Principal grant alone does not count as the tenant-wide grant", () => {
      const perUser = grant(["User.Read"], { consentType: "Principal", principalId: "99999999-0000-4000-8000-000000000009" });
      const plan = planTenant(desiredTenant(), healthyGraph({ grants: [perUser] }));
      expect(kinds(plan)).toEqual(["create-grant"]);
    });

    test("scope names differing only in case are the same scope", () => {
      const plan = planTenant(desiredTenant(), healthyGraph({ grants: [grant(["directory.read.all", "user.read"])] }));
      expect(plan.status).toBe("converged");
    });
  });

  describe("consent", () => {
    test("missing client service principal: consent first", () => {
      const plan = planTenant(desiredTenant(), read({ client: null }));
      expect(kinds(plan)[0]).toBe("consent");
      expect(only(plan, "consent")[0]?.reason).toMatch(/not in the tenant/);
    });

    test("forceConsent adds a consent to a converged tenant", () => {
      const plan = planTenant(desiredTenant(), healthyGraph(), { forceConsent: true });
      expect(kinds(plan)).toEqual(["consent"]);
      expect(plan.status).toBe("changes");
      expect(residualDifference(plan).converged).toBe(false);
    });

    test("a token lacking a bootstrap scope needs consent only when there are writes", () => {
      const token = ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"];
      expect(planTenant(desiredTenant(), healthyGraph({ tokenScopes: token })).status).toBe("converged");
      const plan = planTenant(desiredTenant(), read({ tokenScopes: token }));
      expect(kinds(plan)[0]).toBe("consent");
      expect(only(plan, "consent")[0]?.reason).toContain("AppRoleAssignment.ReadWrite.All");
    });

    test("Application.ReadWrite.All stands in for Directory.ReadWrite.All", () => {
      const token = ["DelegatedPermissionGrant.ReadWrite.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"];
      expect(kinds(planTenant(desiredTenant(), read({ tokenScopes: token })))).not.toContain("consent");
      const lacking = planTenant(
        desiredTenant(),
        read({ tokenScopes: ["DelegatedPermissionGrant.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"] }),
      );
      expect(only(lacking, "consent")[0]?.reason).toContain("Application.ReadWrite.All or Directory.ReadWrite.All");
    });

    test("bootstrap scopes that cannot cover the writes are called out", () => {
      const plan = planTenant(desiredTenant(), read({ tokenScopes: [] }), { bootstrapScopes: ["Directory.ReadWrite.All"] });
      expect(only(plan, "consent")[0]?.reason).toMatch(/will not fix it/);
    });

    test("the partner tenant never gets a Partner Center consent", () => {
      const plan = planTenant(desiredTenant(undefined, { isPartner: true }), read({ client: null }));
      expect(plan.status).toBe("inaccessible");
      expect(plan.actions).toEqual([]);
      expect(plan.problem?.action).toMatch(/Grant admin consent/);
      expect(planTenant(desiredTenant(undefined, { isPartner: true }), healthyGraph(), { forceConsent: true }).status).toBe("converged");
    });
  });
});

describe("planTenant on a tenant that cannot be read", () => {
  test("inaccessible: the problem, no actions", () => {
    const blockedProblem = { kind: "no-gdap-relationship" as const, message: "no active GDAP relationship", action: "Create one" };
    const plan = planTenant(desiredTenant(), { kind: "inaccessible", problem: blockedProblem });
    expect(plan).toMatchObject({ status: "inaccessible", actions: [], blocked: [], problem: blockedProblem });
    expect(residualDifference(plan)).toMatchObject({ converged: false, problem: blockedProblem });
  });

  test("not consented: consent, then the full declaration by name with ids unknown", () => {
    const defender = desiredResource({
      appId: DEFENDER_APP_ID,
      displayName: "WindowsDefenderATP",
      appRoles: ["Vulnerability.Read"],
      unpublishedScopes: ["user_impersonation"],
    });
    const plan = planTenant(desiredTenant([GRAPH_WANTED, defender]), { kind: "not-consented", problem });
    expect(kinds(plan)).toEqual(["consent", "add-app-role", "add-app-role", "create-grant", "add-app-role", "create-grant"]);
    expect(only(plan, "consent")[0]?.reason).toMatch(
      /^CIPP-SAM is not in the tenant \(the token request got AADSTS65001\)\. .*known only once the tenant can be read/,
    );
    expect(only(plan, "add-app-role").every((action) => action.appRoleId === null)).toBe(true);
    expect(only(plan, "create-grant").map((action) => action.scopes)).toEqual([
      ["Directory.Read.All", "User.Read"],
      ["user_impersonation"],
    ]);
    expect(kinds(plan)).not.toContain("create-resource");
    expect(countTenantPlan(plan).add).toBe(6);
  });
});

describe("planFleet", () => {
  test("plans tenants in order, skips excluded ones, and totals them", () => {
    const second = desiredTenant(undefined, {
      tenantId: "22222222-0000-4000-8000-000000000002",
      defaultDomain: "fabrikam.onmicrosoft.com",
    });
    const excluded = desiredTenant(undefined, { tenantId: "33333333-0000-4000-8000-000000000003", excluded: true });
    const third = desiredTenant(undefined, { tenantId: "44444444-0000-4000-8000-000000000004" });
    const readings = new Map<string, LiveReading>([
      [desiredTenant().tenantId, healthyGraph()],
      [second.tenantId, read()],
      [third.tenantId, { kind: "inaccessible", problem }],
    ]);
    const fleet = planFleet([desiredTenant(), second, excluded, third], readings);
    expect(fleet.tenants.map((plan) => plan.status)).toEqual(["converged", "changes", "inaccessible"]);
    expect(summariseFleetPlan(fleet)).toEqual({
      tenants: 3,
      toChange: 1,
      converged: 1,
      inaccessible: 1,
      add: 4,
      remove: 0,
      blocked: 0,
      kept: 0,
      warnings: 0,
    });
  });

  test("a tenant without a reading is a caller error, named", () => {
    expect(() => planFleet([desiredTenant()], new Map())).toThrow(/contoso\.onmicrosoft\.com/);
  });

  test("the plan is deterministic", () => {
    const reading = read({ appRoleAssignments: [assignment(ROLE["Group.ReadWrite.All"])], grants: [grant(["Directory.ReadWrite.All"])] });
    expect(planTenant(desiredTenant(), reading)).toEqual(planTenant(desiredTenant(), reading));
  });
});
