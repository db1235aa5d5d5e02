import { planTenant } from "../../src/plan/diff";
import { DEFAULT_MARKDOWN_BUDGET_BYTES, renderPlanMarkdown, renderResultMarkdown } from "../../src/report";
import { escapeMarkdown } from "../../src/report/markdown";
import { desiredTenant, healthyGraph } from "../plan/builders";
import { SECRET_JWT, largeFreshFleet, sampleFleetPlan, sampleRunResult, tenantNamed } from "./fixtures";

/** The Markdown of one tenant section, from its heading to the next. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`### ${heading}`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const next = markdown.indexOf("\n### ", start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

function tableRows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| Tenant | Status") && !line.startsWith("| ---"))
    .map((line) => line.slice(2, -2).split(" | "));
}

describe("plan as Markdown", () => {
  const markdown = renderPlanMarkdown(sampleFleetPlan(), { collapseAfter: 4 });

  test("the summary sentence, then a table row per tenant with its counts", () => {
    expect(markdown).toContain("**Plan: 2 tenants to change, 1 converged, 1 inaccessible; 6 permissions to add, 2 to remove, 2 blocked**");
    expect(tableRows(markdown)).toEqual([
      ["Contoso (tenant1.onmicrosoft.com)", "✏️ changes", "2", "2", "0"],
      ["Fabrikam (tenant2.onmicrosoft.com)", "✅ converged (some blocked)", "0", "0", "2"],
      ["Northwind (tenant3.onmicrosoft.com)", "⛔ inaccessible", "0", "0", "0"],
      ["Tailspin (tenant4.onmicrosoft.com)", "✏️ changes", "4", "0", "0"],
    ]);
  });

  test("blocked items are visible, never folded, with their reason; as many lines as the table counts", () => {
    const fabrikam = section(markdown, "Fabrikam");
    expect(fabrikam).not.toContain("<details>");
    // The overview counts 2 blocked for Fabrikam; its section lists exactly 2.
    expect(fabrikam).toContain("**Blocked, not applied in this tenant** (2)");
    expect(fabrikam.split("\n").filter((line) => line.startsWith("- ⛔"))).toHaveLength(2);
    expect(fabrikam).toContain("- ⛔ **WindowsDefenderATP**: app role Vulnerability.Read — resource unavailable");
    expect(fabrikam).toContain("no Microsoft Defender for Endpoint licence");
  });

  test("long lists fold into details; short ones stay open", () => {
    expect(section(markdown, "Tailspin")).toMatch(/<details><summary><b>Changes<\/b> \(5\)<\/summary>\n\n- ➕ Partner Center consent/);
    expect(section(markdown, "Contoso")).toContain("**Changes** (3)");
    expect(section(markdown, "Contoso")).not.toContain("<details>");
  });

  test("problems show the action to take", () => {
    expect(section(markdown, "Northwind")).toContain("> **To fix:** Create a GDAP relationship");
  });

  test("a converged tenant with nothing to say has a row but no section", () => {
    const plan = { tenants: [planTenant(desiredTenant(undefined, tenantNamed(9, "Quiet")), healthyGraph())] };
    const quiet = renderPlanMarkdown(plan);
    expect(tableRows(quiet)).toHaveLength(1);
    expect(quiet).not.toContain("### ");
  });

  test("names from declarations cannot break the table or inject HTML", () => {
    const plan = {
      tenants: [planTenant(desiredTenant(undefined, tenantNamed(5, "A|B <script>x</script>")), healthyGraph({ tokenScopes: [] }))],
    };
    const rendered = renderPlanMarkdown(plan, { collapseAfter: 0 });
    expect(rendered).not.toContain("<script>");
    expect(tableRows(rendered)[0]?.[0]).toBe("A\\|B &lt;script&gt;x&lt;/script&gt; (tenant5.onmicrosoft.com)");
    expect(escapeMarkdown("user_impersonation *x*")).toBe("user\\_impersonation \\*x\\*");
  });

  test("1,000 fresh tenants with CIPP's full set stay under GitHub's 1 MiB limit, with a note", () => {
    const fleet = largeFreshFleet(1000, 70, 106);
    const rendered = renderPlanMarkdown(fleet);
    expect(Buffer.byteLength(rendered, "utf8")).toBeLessThanOrEqual(DEFAULT_MARKDOWN_BUDGET_BYTES);
    expect(DEFAULT_MARKDOWN_BUDGET_BYTES).toBeLessThan(1024 * 1024);
    expect(tableRows(rendered)).toHaveLength(1000);
    const shown = rendered.split("\n### ").length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(1000);
    expect(rendered).toContain(`> ✂️ **Truncated:** ${1000 - shown} tenant section(s) left out`);
  });

  test("under truncation, problems and blocked workloads keep their sections", () => {
    const sample = sampleFleetPlan();
    const fleet = { tenants: [...largeFreshFleet(1000, 70, 106).tenants, ...sample.tenants] };
    const rendered = renderPlanMarkdown(fleet);
    expect(rendered).toContain("Truncated");
    const headings = rendered.split("\n").filter((line) => line.startsWith("### "));
    expect(headings.slice(0, 2)).toEqual(["### Northwind (tenant3.onmicrosoft.com)", "### Fabrikam (tenant2.onmicrosoft.com)"]);
    expect(section(rendered, "Fabrikam")).toContain("no Microsoft Defender for Endpoint licence");
  });

  test("a budget too small for the table truncates rows too, and says so", () => {
    const rendered = renderPlanMarkdown(largeFreshFleet(50, 1, 1), { maxBytes: 2000 });
    expect(Buffer.byteLength(rendered, "utf8")).toBeLessThanOrEqual(2000);
    const rows = tableRows(rendered).length;
    expect(rows).toBeLessThan(50);
    expect(rendered).toContain(`${50 - rows} tenant row(s) and 50 tenant section(s) left out`);
  });

  test("nothing is truncated when it fits", () => {
    expect(markdown).not.toContain("Truncated");
  });
});

describe("result as Markdown", () => {
  const markdown = renderResultMarkdown(sampleRunResult());

  test("the summary, the run's times, and a row per tenant with its outcome counts", () => {
    expect(markdown).toContain("**Refresh: 4 tenants, 0 converged, 2 changed, 1 failed, 1 skipped;");
    expect(markdown).toContain("Started 2026-11-26T10:00:00.000Z, finished 2026-11-26T10:00:05.000Z.");
    expect(tableRows(markdown)).toEqual([
      ["Contoso (contoso.onmicrosoft.com)", "✏️ changed", "2", "1", "1", "0", "2.1 s"],
      ["Fabrikam (fabrikam.onmicrosoft.com)", "❌ failed", "0", "0", "0", "1", "2.1 s"],
      ["Northwind (northwind.onmicrosoft.com)", "✏️ changed", "1", "0", "0", "0", "2.1 s"],
      ["Tailspin (tailspin.onmicrosoft.com)", "⏭️ skipped", "0", "0", "0", "0", "0.0 s"],
    ]);
  });

  test("failures are visible with the error, redacted", () => {
    const fabrikam = section(markdown, "Fabrikam");
    expect(fabrikam).toContain("**Failed** (1)");
    expect(fabrikam).toContain("Authorization\\_RequestDenied");
    expect(markdown).not.toContain(SECRET_JWT);
    expect(fabrikam).toContain("❌ **Verification:**");
  });

  test("already-present permissions are listed by name, folded", () => {
    expect(section(markdown, "Contoso")).toMatch(
      /<details><summary><b>Already present<\/b> \(1\)<\/summary>\n\n- ▫️ \*\*Microsoft Graph\*\*: app role Directory.Read.All/,
    );
  });

  test("a reset lists what CIPP-SAM held before, for restoring", () => {
    const northwind = section(markdown, "Northwind");
    expect(northwind).toContain("Held before the reset (snapshot for restoring)");
    expect(northwind).toContain("app role Directory.Read.All — 7ab1d382-f21e-4acd-a863-ba3e13f7da61");
    expect(northwind).toContain("delegated grant (all users) — User.Read");
  });
});
