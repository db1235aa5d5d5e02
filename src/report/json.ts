/**
 * Plans and results as versioned JSON documents, the machine-readable run artefacts. Their shapes are described by
 * schema/plan.schema.json and schema/result.schema.json.
 */
import type { RunResult } from "../apply/result";
import type { FleetPlan, TenantPlan } from "../plan/model";
import { scrub } from "./lines";
import { type FleetPlanSummary, type TenantPlanCounts, countTenantPlan, summariseFleetPlan } from "../plan/summary";

/** The version of the plan document's shape; bumped on any incompatible change. */
export const PLAN_SCHEMA_VERSION = 1;

/** A fleet plan as a document: every tenant plan with its counts, and the totals. */
export interface PlanDocument {
  readonly schemaVersion: typeof PLAN_SCHEMA_VERSION;
  readonly kind: "plan";
  readonly summary: FleetPlanSummary;
  readonly tenants: readonly (TenantPlan & { readonly counts: TenantPlanCounts })[];
}

/** The plan document of a fleet plan. */
export function planDocument(plan: FleetPlan): PlanDocument {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: "plan",
    summary: summariseFleetPlan(plan),
    tenants: plan.tenants.map((tenant) => ({ ...tenant, counts: countTenantPlan(tenant) })),
  };
}

/** A fleet plan as indented JSON. */
export function renderPlanJson(plan: FleetPlan): string {
  return `${scrub(JSON.stringify(planDocument(plan), null, 2))}\n`;
}

/**
 * A run result as indented JSON (it already carries its schemaVersion). Secret shapes are masked inside string
 * values only, so the document stays valid.
 */
export function renderResultJson(result: RunResult): string {
  return `${scrub(JSON.stringify(result, null, 2))}\n`;
}
