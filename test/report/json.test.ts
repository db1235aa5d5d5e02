import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { exitCodeOf, totalsOf } from "../../src/apply/result";
import { PLAN_SCHEMA_VERSION, renderPlanJson, renderResultJson } from "../../src/report";
import { summariseFleetPlan } from "../../src/plan/summary";
import { SECRET_JWT, sampleFleetPlan, sampleRunResult } from "./fixtures";

function loadSchema(name: string): object {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "../../schema", name), "utf8")) as object;
}

function validators(): { plan: ValidateFunction; result: ValidateFunction } {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addSchema(loadSchema("plan.schema.json"));
  ajv.addSchema(loadSchema("result.schema.json"));
  const plan = ajv.getSchema("plan.schema.json");
  const result = ajv.getSchema("result.schema.json");
  if (plan === undefined || result === undefined) throw new Error("schemas did not register");
  return { plan, result };
}

describe("plan JSON", () => {
  const { plan: validatePlan } = validators();

  test("the rendered plan validates against schema/plan.schema.json", () => {
    const document: unknown = JSON.parse(renderPlanJson(sampleFleetPlan()));
    expect(validatePlan(document)).toBe(true);
    expect(validatePlan.errors ?? []).toEqual([]);
  });

  test("carries the schema version, the totals and per-tenant counts", () => {
    const fleet = sampleFleetPlan();
    const document = JSON.parse(renderPlanJson(fleet)) as {
      schemaVersion: number;
      kind: string;
      summary: unknown;
      tenants: { counts: { add: number }; actions: unknown[] }[];
    };
    expect(document.schemaVersion).toBe(PLAN_SCHEMA_VERSION);
    expect(document.kind).toBe("plan");
    expect(document.summary).toEqual(summariseFleetPlan(fleet));
    expect(document.tenants.map((tenant) => tenant.counts.add)).toEqual([2, 0, 0, 4]);
  });

  test("the schema rejects what the model cannot produce", () => {
    const document = JSON.parse(renderPlanJson(sampleFleetPlan())) as { tenants: { actions: Record<string, unknown>[] }[] };
    const action = document.tenants[0]?.actions[0];
    if (action === undefined) throw new Error("fixture has no action");
    action["kind"] = "grant-everything";
    expect(validatePlan(document)).toBe(false);
    expect(validatePlan({ schemaVersion: 2, kind: "plan", summary: {}, tenants: [] })).toBe(false);
  });
});

describe("result JSON", () => {
  const { result: validateResult } = validators();

  test("the rendered result validates against schema/result.schema.json", () => {
    const document: unknown = JSON.parse(renderResultJson(sampleRunResult()));
    expect(validateResult(document)).toBe(true);
    expect(validateResult.errors ?? []).toEqual([]);
  });

  test("the schema rejects an unknown outcome and a missing exit code", () => {
    const document = JSON.parse(renderResultJson(sampleRunResult())) as {
      exitCode?: number;
      tenants: { permissions: Record<string, unknown>[] }[];
    };
    const first = document.tenants[0]?.permissions[0];
    if (first === undefined) throw new Error("fixture has no permission");
    first["outcome"] = "probably-fine";
    expect(validateResult(document)).toBe(false);
    delete document.exitCode;
    expect(validateResult(document)).toBe(false);
  });

  test("totals and exit code follow from the tenants", () => {
    const result = sampleRunResult();
    expect(result.totals).toEqual({
      tenants: 4,
      converged: 0,
      changed: 2,
      failed: 1,
      skipped: 1,
      applied: 3,
      alreadyPresent: 1,
      removed: 1,
      blocked: 1,
      permissionsFailed: 1,
    });
    expect(result.exitCode).toBe(1);
    const healthy = result.tenants.filter((tenant) => tenant.status !== "failed");
    expect(exitCodeOf(healthy)).toBe(0);
    expect(totalsOf(healthy).failed).toBe(0);
  });

  test("a token that slipped into an error message is masked, and the document stays valid", () => {
    const rendered = renderResultJson(sampleRunResult());
    expect(rendered).not.toContain(SECRET_JWT);
    expect(rendered).toContain("Insufficient privileges (Bearer ***)");
    expect(validateResult(JSON.parse(rendered))).toBe(true);
  });
});
