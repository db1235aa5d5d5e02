import { renderPlanMarkdown, renderPlanText } from "../../src/report";
import { sampleFleetPlan } from "./fixtures";

describe("which tenants a plan covers", () => {
  test("a change that touches no declared tenant: text and Markdown say so, and the Markdown has no empty table", () => {
    const plan = { tenants: [], changedFiles: 2 };
    const text = renderPlanText(plan);
    expect(text.split("\n")[0]).toBe("No declared tenant is affected by this change (2 changed files); nothing to plan.");
    const markdown = renderPlanMarkdown(plan);
    expect(markdown).toContain("No declared tenant is affected by this change (2 changed files); nothing to plan.");
    expect(markdown).not.toContain("| Tenant |");
  });

  test("an empty plan of the whole fleet says no tenant is managed", () => {
    const text = renderPlanText({ tenants: [] });
    expect(text).toMatch(/^No tenant to plan: none is declared, or every declared tenant is excluded\.\n/);
    expect(renderPlanMarkdown({ tenants: [] })).toContain("No tenant to plan");
  });

  test("a plan limited to a change says so above its tenants", () => {
    const sample = sampleFleetPlan();
    const plan = { ...sample, changedFiles: 1 };
    const line = `Only the tenants this change touches are planned (1 changed file): ${sample.tenants.length} tenants.`;
    expect(renderPlanText(plan).split("\n")[0]).toBe(line);
    const markdown = renderPlanMarkdown(plan);
    expect(markdown).toContain(line);
    expect(markdown).toContain("| Tenant |");
  });

  test("a plain plan of every tenant carries no coverage sentence", () => {
    const sample = sampleFleetPlan();
    expect(renderPlanText(sample)).not.toMatch(/this change|No tenant to plan/);
    expect(renderPlanMarkdown(sample)).not.toMatch(/this change|No tenant to plan/);
  });
});
