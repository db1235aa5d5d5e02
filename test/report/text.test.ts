import type { TenantResult } from "../../src/apply/result";
import { renderPlanText, renderResultText } from "../../src/report";
import { resultStepWords } from "../../src/report/sentences";
import { SECRET_JWT, largeFreshFleet, sampleFleetPlan, sampleRunResult } from "./fixtures";

/** The lines of one tenant's section, found by its header. */
function section(text: string, domain: string): string[] {
  const block = text.split("\n\n").find((part) => part.split("\n")[0]?.includes(domain));
  if (block === undefined) throw new Error(`no section for ${domain}`);
  return block.split("\n");
}

describe("plan as text", () => {
  const text = renderPlanText(sampleFleetPlan());

  test("a header per tenant, then one line per change with its sign and permission name", () => {
    const contoso = section(text, "tenant1.onmicrosoft.com");
    expect(contoso[0]).toBe("Contoso (tenant1.onmicrosoft.com) 00000000-0000-4000-8000-000000000001: 2 to add, 2 to remove");
    expect(contoso.slice(1)).toEqual([
      "  + Microsoft Graph: app role Application.ReadWrite.All",
      "  - Microsoft Graph: app role Group.ReadWrite.All",
      "  ~ Microsoft Graph: delegated grant — add User.Read; remove DelegatedAdminRelationship.ReadWrite.All",
    ]);
  });

  test("blocked items carry their reason, the resource's detail once; as many lines as the count", () => {
    const fabrikam = section(text, "tenant2.onmicrosoft.com");
    expect(fabrikam[0]).toMatch(/converged, 2 blocked$/);
    expect(fabrikam.filter((line) => line.startsWith("  ! "))).toHaveLength(2);
    expect(fabrikam.filter((line) => line.includes("no Microsoft Defender for Endpoint licence"))).toHaveLength(1);
    expect(fabrikam).toContain(
      "  ! WindowsDefenderATP: app role Vulnerability.Read — resource unavailable: WindowsDefenderATP cannot be added to this tenant: no Microsoft Defender for Endpoint licence",
    );
    expect(fabrikam).toContain("  ! WindowsDefenderATP: delegated user_impersonation — resource unavailable");
  });

  test("an inaccessible tenant shows the problem and what to do", () => {
    expect(section(text, "tenant3.onmicrosoft.com")).toEqual([
      "Northwind (tenant3.onmicrosoft.com) 00000000-0000-4000-8000-000000000003: inaccessible",
      "  ! no-gdap-relationship: No active GDAP relationship",
      "    To fix: Create a GDAP relationship",
    ]);
  });

  test("a fresh tenant: the consent first, then every permission by name", () => {
    const tailspin = section(text, "tenant4.onmicrosoft.com");
    expect(tailspin[1]).toMatch(/^ {2}\+ Partner Center consent, adding CIPP-SAM — CIPP-SAM is not in the tenant/);
    expect(tailspin.slice(2)).toEqual([
      "  + Microsoft Graph: app role Application.ReadWrite.All",
      "  + Microsoft Graph: app role Directory.Read.All",
      "  + Microsoft Graph: delegated Directory.Read.All",
      "  + Microsoft Graph: delegated User.Read",
    ]);
  });

  test("ends with the summary line", () => {
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "Plan: 2 tenants to change, 1 converged, 1 inaccessible; 6 permissions to add, 2 to remove, 2 blocked",
    );
  });

  test("colour only when asked for", () => {
    expect(text).not.toContain("\u001b[");
    const coloured = renderPlanText(sampleFleetPlan(), { colour: true });
    expect(coloured).toContain("\u001b[32m+ Microsoft Graph: app role Application.ReadWrite.All\u001b[0m");
    expect(coloured).toContain("\u001b[31m- Microsoft Graph: app role Group.ReadWrite.All\u001b[0m");
  });

  test("a large fleet lists every permission", () => {
    const large = renderPlanText(largeFreshFleet(3, 70, 89));
    expect(large.split("\n").filter((line) => line.startsWith("  + Microsoft Graph: "))).toHaveLength(3 * (70 + 89));
  });
});

describe("result as text", () => {
  const text = renderResultText(sampleRunResult());

  test("per tenant: status, steps and costs, then outcomes by name", () => {
    const contoso = section(text, "contoso.onmicrosoft.com");
    expect(contoso[0]).toBe(
      "Contoso (contoso.onmicrosoft.com) 00000000-0000-4000-8000-000000000001: changed (consent already in place, 2.1 s, 15 requests)",
    );
    expect(contoso).toContain("  + Microsoft Graph: app role Application.ReadWrite.All");
    expect(contoso).toContain("  - Microsoft Graph: app role Group.ReadWrite.All");
    expect(contoso).toContain("  = 1 already present");
    expect(contoso).toContain("  Verified: the read-back matches the declaration.");
    // One line per blocked permission, as counted; the first of a blocked resource carries its detail.
    const blocked = contoso.filter((line) => line.startsWith("  ! "));
    expect(blocked).toEqual(["  ! WindowsDefenderATP: app role Vulnerability.Read — resource unavailable: no licence"]);
    expect(sampleRunResult().totals.blocked).toBe(blocked.length);
  });

  test("the consent step in words, not as its JSON value", () => {
    const failed = sampleRunResult().tenants[1] as TenantResult;
    const words = (["created", "already-existed", "not-needed", "failed"] as const).map(
      (consent) => resultStepWords({ ...failed, steps: { consent, reset: null } }).split(", ")[0],
    );
    expect(words).toEqual(["consent created", "consent already in place", "no consent needed", "consent failed"]);
  });

  test("a tenant that failed before it could be read is not said to need no consent", () => {
    const failed = sampleRunResult().tenants[1] as TenantResult;
    const unread: TenantResult = { ...failed, steps: { consent: "not-needed", reset: null }, permissions: [], verification: null };
    expect(resultStepWords(unread)).toMatch(/^the tenant could not be read, /);
    expect(resultStepWords(unread)).not.toMatch(/no consent needed/);
    const text = renderResultText({ ...sampleRunResult(), tenants: [unread] });
    expect(text).toMatch(/: failed \(the tenant could not be read, /);
    // A tenant that was read, and failed later, keeps its consent step.
    expect(resultStepWords({ ...failed, steps: { consent: "not-needed", reset: null } })).toMatch(/^no consent needed/);
  });

  test("a failure names the service, status and code, and never a token", () => {
    const fabrikam = section(text, "fabrikam.onmicrosoft.com");
    expect(fabrikam).toContain(
      "  x Microsoft Graph: app role User.Read.All — Microsoft Graph HTTP 403 Authorization_RequestDenied: Insufficient privileges (Bearer ***)",
    );
    expect(text).not.toContain(SECRET_JWT);
    expect(fabrikam.at(-1)).toMatch(/Verification: the read-back still differs \(1 action\(s\) left\)/);
  });

  test("a reset lists what CIPP-SAM held before it was removed, by resource and name", () => {
    const northwind = section(text, "northwind.onmicrosoft.com");
    expect(northwind[0]).toContain("(consent created, CIPP-SAM removed by reset, ");
    const at = northwind.indexOf("  CIPP-SAM's service principal c1e7c1e7-0000-4000-8000-000000000009 was removed; it held:");
    expect(at).toBeGreaterThan(0);
    expect(northwind[at + 1]).toBe("  = Microsoft Graph: app roles Directory.Read.All; delegated User.Read");
  });

  test("skipped tenants say why; the summary gives totals and the exit code", () => {
    expect(section(text, "tailspin.onmicrosoft.com")).toEqual([
      "Tailspin (tailspin.onmicrosoft.com) 00000000-0000-4000-8000-000000000004: skipped",
      "  Excluded in stacks/tenants/tailspin.yaml",
    ]);
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "Refresh: 4 tenants, 0 converged, 2 changed, 1 failed, 1 skipped; 3 permissions applied, 1 removed, 1 blocked, 1 failed; exit code 1",
    );
  });
});
