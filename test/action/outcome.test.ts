import { declarationAnnotations, progressLine, verdictOf } from "../../src/action/outcome";
import { runResultOf, type TenantResult } from "../../src/apply/result";
import type { FleetPlan, TenantPlan, TenantRef } from "../../src/plan/model";

const FABRIKAM: TenantRef = {
  tenantId: "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01",
  defaultDomain: "fabrikam.onmicrosoft.com",
  displayName: "Fabrikam",
};
const ADATUM: TenantRef = {
  tenantId: "4b8e5f0a-1d2c-4e6f-94a5-6b7c8d9e0f04",
  defaultDomain: "adatum.onmicrosoft.com",
  displayName: "Adatum",
};
const WINGTIP: TenantRef = {
  tenantId: "5c9f6a1b-2e3d-4f70-a5b6-7c8d9e0f1a05",
  defaultDomain: "wingtiptoys.onmicrosoft.com",
  displayName: "Wingtip Toys",
};
const GRAPH = { appId: "00000003-0000-0000-c000-000000000000", displayName: "Microsoft Graph" };
const MDE = { appId: "fc780465-2017-40d4-a0c5-307022471b92", displayName: "WindowsDefenderATP" };
const NO_LICENCE = "WindowsDefenderATP is not licensed in this tenant";

function tenantPlan(tenant: TenantRef, overrides: Partial<TenantPlan> = {}): TenantPlan {
  return { tenant, status: "converged", actions: [], blocked: [], kept: [], warnings: [], problem: null, ...overrides };
}

const GDAP_PROBLEM = {
  kind: "no-gdap-relationship" as const,
  message: "AADSTS50020: the service account has no access to wingtiptoys.onmicrosoft.com.",
  action: "Renew the GDAP relationship.",
};

const PLAN: FleetPlan = {
  tenants: [
    tenantPlan(FABRIKAM, {
      status: "changes",
      actions: [{ kind: "add-app-role", resource: GRAPH, permission: "AuditLog.Read.All", appRoleId: null }],
    }),
    tenantPlan(ADATUM, {
      blocked: [
        { resource: MDE, permission: null, type: "resource", reason: "resource-unavailable", detail: NO_LICENCE },
        { resource: MDE, permission: "Machine.Read.All", type: "appRole", reason: "resource-unavailable", detail: NO_LICENCE },
        { resource: MDE, permission: "Alert.Read.All", type: "appRole", reason: "resource-unavailable", detail: NO_LICENCE },
      ],
    }),
    tenantPlan(WINGTIP, { status: "inaccessible", problem: GDAP_PROBLEM }),
  ],
};

function tenantResult(tenant: TenantRef, overrides: Partial<TenantResult> = {}): TenantResult {
  return {
    tenant,
    status: "converged",
    problem: null,
    skippedReason: null,
    steps: { consent: "not-needed", reset: null },
    permissions: [],
    verification: null,
    error: null,
    durationMs: 10,
    requests: { graph: 1, partnerCenter: 0, token: 1, throttled: 0 },
    ...overrides,
  };
}

describe("verdictOf in plan mode", () => {
  const verdict = verdictOf(PLAN, null);

  test("changes when any tenant has actions; inaccessible tenants are failures", () => {
    expect(verdict.changes).toBe(true);
    expect(verdict.failedTenants).toEqual(["wingtiptoys.onmicrosoft.com"]);
  });

  test("an error per failed tenant with its cause and what to do", () => {
    const errors = verdict.annotations.filter((a) => a.level === "error");
    expect(errors).toEqual([
      {
        level: "error",
        title: "Wingtip Toys (wingtiptoys.onmicrosoft.com) failed",
        message: `${GDAP_PROBLEM.message} ${GDAP_PROBLEM.action}`,
      },
    ]);
  });

  test("one warning per blocked workload, listing its permissions and the reason once", () => {
    const warnings = verdict.annotations.filter((a) => a.level === "warning");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.title).toBe("Adatum: WindowsDefenderATP blocked");
    expect(warnings[0]?.message).toBe(
      `adatum.onmicrosoft.com: WindowsDefenderATP 2 permission(s) blocked (Machine.Read.All, Alert.Read.All): ${NO_LICENCE}`,
    );
  });

  test("a converged fleet: no changes, no failures, no annotations", () => {
    expect(verdictOf({ tenants: [tenantPlan(FABRIKAM)] }, null)).toEqual({ changes: false, failedTenants: [], annotations: [] });
  });
});

describe("verdictOf with results", () => {
  test("failures come from the results, with Microsoft's error", () => {
    const result = runResultOf("refresh", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", [
      tenantResult(FABRIKAM, {
        status: "failed",
        error: { service: "partner-center", status: 403, code: "600001", message: "The caller lacks the GDAP roles." },
      }),
      tenantResult(ADATUM, {
        status: "changed",
        permissions: [
          {
            resource: MDE,
            type: "appRole",
            permission: "Machine.Read.All",
            outcome: "blocked",
            blockReason: "resource-unavailable",
            detail: NO_LICENCE,
            error: null,
          },
          {
            resource: GRAPH,
            type: "appRole",
            permission: "AuditLog.Read.All",
            outcome: "applied",
            blockReason: null,
            detail: null,
            error: null,
          },
        ],
      }),
    ]);
    const verdict = verdictOf(PLAN, result);
    expect(verdict.failedTenants).toEqual(["fabrikam.onmicrosoft.com"]);
    expect(verdict.annotations).toEqual([
      {
        level: "error",
        title: "Fabrikam (fabrikam.onmicrosoft.com) failed",
        message: "Partner Center answered HTTP 403 (600001): The caller lacks the GDAP roles.",
      },
      {
        level: "warning",
        title: "Adatum: WindowsDefenderATP blocked",
        message: `adatum.onmicrosoft.com: WindowsDefenderATP 1 permission(s) blocked (Machine.Read.All): ${NO_LICENCE}`,
      },
    ]);
  });

  test("a failed permission write names the permission and the cause", () => {
    const result = runResultOf("refresh", "a", "b", [
      tenantResult(FABRIKAM, {
        status: "failed",
        permissions: [
          {
            resource: GRAPH,
            type: "appRole",
            permission: "AuditLog.Read.All",
            outcome: "failed",
            blockReason: null,
            detail: null,
            error: { service: "graph", status: null, code: "timeout", message: "No answer in 30 s." },
          },
        ],
      }),
    ]);
    expect(verdictOf({ tenants: [] }, result).annotations[0]?.message).toBe(
      "1 permission(s) could not be applied; first Microsoft Graph AuditLog.Read.All: Microsoft Graph did not answer (timeout): No answer in 30 s.",
    );
  });

  test("a read-back that still differs", () => {
    const result = runResultOf("refresh", "a", "b", [
      tenantResult(FABRIKAM, {
        status: "failed",
        verification: {
          converged: false,
          actions: [{ kind: "create-grant", resource: GRAPH, scopes: ["User.Read"] }],
          blocked: [],
          problem: null,
        },
      }),
    ]);
    expect(verdictOf({ tenants: [] }, result).annotations[0]?.message).toMatch(/still differs .*1 action\(s\) left/);
  });
});

describe("progressLine", () => {
  test("before the first tenant finishes", () => {
    expect(progressLine({ done: 0, total: 40, failed: 0, etaMs: null, last: null })).toBe("[0/40] started (0 failed)");
  });
  test("with an estimate in seconds, then minutes", () => {
    const last = { tenant: "fabrikam.onmicrosoft.com", outcome: "changed" };
    expect(progressLine({ done: 3, total: 40, failed: 1, etaMs: 45_000, last })).toBe(
      "[3/40] fabrikam.onmicrosoft.com: changed (1 failed, about 45 s left)",
    );
    expect(progressLine({ done: 3, total: 40, failed: 0, etaMs: 600_000, last })).toBe(
      "[3/40] fabrikam.onmicrosoft.com: changed (0 failed, about 10 min left)",
    );
  });
  test("no estimate once done", () => {
    const last = { tenant: "adatum.onmicrosoft.com", outcome: "converged" };
    expect(progressLine({ done: 2, total: 2, failed: 0, etaMs: 0, last })).toBe("[2/2] adatum.onmicrosoft.com: converged (0 failed)");
  });
});

describe("declarationAnnotations", () => {
  test("an error at each problem's file and line, relative to the workspace", () => {
    const problems = [
      {
        file: "/home/runner/work/repo/stacks/tenants/adatum.yaml",
        line: 12,
        field: "add[0].appRoles[1]",
        message: '"Mail.Sendd" is not an app role',
      },
      { file: "stacks/cipp-cpv.yaml", line: 1, field: "", message: "the settings file is missing" },
    ];
    expect(declarationAnnotations(problems, "/home/runner/work/repo")).toEqual([
      {
        level: "error",
        title: "Invalid declaration",
        message: 'add[0].appRoles[1]: "Mail.Sendd" is not an app role',
        file: "stacks/tenants/adatum.yaml",
        line: 12,
      },
      { level: "error", title: "Invalid declaration", message: "the settings file is missing", file: "stacks/cipp-cpv.yaml", line: 1 },
    ]);
  });
});
