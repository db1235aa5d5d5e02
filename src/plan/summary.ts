/**
 * Counts over plans, shared by every rendering so the text, Markdown and JSON forms always agree.
 * A permission is counted once per tenant and resource: a delegated grant counts its scopes, not itself.
 */
import type { FleetPlan, PlanAction, TenantPlan } from "./model";

/** Per tenant: what a refresh would add and remove, and what it cannot apply. */
export interface TenantPlanCounts {
  readonly add: number;
  readonly remove: number;
  /** Blocked permissions; a blocked resource counts through its permissions, not itself. */
  readonly blocked: number;
  readonly kept: number;
  readonly warnings: number;
}

/** Over a fleet: tenants by status and the permission totals. */
export interface FleetPlanSummary {
  readonly tenants: number;
  readonly toChange: number;
  readonly converged: number;
  readonly inaccessible: number;
  readonly add: number;
  readonly remove: number;
  readonly blocked: number;
  readonly kept: number;
  readonly warnings: number;
}

/** How many permissions one action adds and removes. */
export function actionCounts(action: PlanAction): { add: number; remove: number } {
  switch (action.kind) {
    case "add-app-role":
      return { add: 1, remove: 0 };
    case "remove-app-role":
      return { add: 0, remove: 1 };
    case "create-grant":
      return { add: action.scopes.length, remove: 0 };
    case "update-grant":
      return { add: action.add.length, remove: action.remove.length };
    case "consent":
    case "create-resource":
    case "delete-duplicate-grant":
      return { add: 0, remove: 0 };
  }
}

/** Counts for one tenant's plan. */
export function countTenantPlan(plan: TenantPlan): TenantPlanCounts {
  let add = 0;
  let remove = 0;
  for (const action of plan.actions) {
    const counts = actionCounts(action);
    add += counts.add;
    remove += counts.remove;
  }
  return {
    add,
    remove,
    blocked: plan.blocked.filter((item) => item.permission !== null).length,
    kept: plan.kept.length,
    warnings: plan.warnings.length,
  };
}

/** Totals over a fleet plan. */
export function summariseFleetPlan(plan: FleetPlan): FleetPlanSummary {
  let add = 0;
  let remove = 0;
  let blocked = 0;
  let kept = 0;
  let warnings = 0;
  for (const tenant of plan.tenants) {
    const counts = countTenantPlan(tenant);
    add += counts.add;
    remove += counts.remove;
    blocked += counts.blocked;
    kept += counts.kept;
    warnings += counts.warnings;
  }
  const withStatus = (status: TenantPlan["status"]): number => plan.tenants.filter((t) => t.status === status).length;
  return {
    tenants: plan.tenants.length,
    toChange: withStatus("changes"),
    converged: withStatus("converged"),
    inaccessible: withStatus("inaccessible"),
    add,
    remove,
    blocked,
    kept,
    warnings,
  };
}
