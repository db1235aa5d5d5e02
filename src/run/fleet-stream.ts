/**
 * A fleet run as a stream: tenants are planned, refreshed or reset a window at a time and handed
 * to a sink in declaration order as soon as they and every tenant before them are done, so that
 * reports are written as the run goes and nothing but a small summary per tenant stays in memory.
 */
import type { FleetPlan, TenantPlan, TenantRef } from "../plan/model";
import { countTenantPlan, type FleetPlanSummary, type TenantPlanCounts } from "../plan/summary";
import type { RunTotals, TenantResult } from "../apply/result";
import type { RunMode } from "./run-request";

/** What a sink learns before the first tenant: the run's mode, start and coverage. */
export interface RunStart {
  readonly mode: RunMode;
  /** ISO 8601. */
  readonly startedAt: string;
  /** How many tenants the run covers (some may end up not attempted when a shared credential is refused). */
  readonly tenants: number;
  /** Plan coverage: changed files considered and tenant files deleted, as the fleet plan carries them. */
  readonly coverage: Pick<FleetPlan, "changedFiles" | "deletedTenantFiles">;
}

/**
 * Receives a run's tenants one at a time, in declaration order, each with its full detail; what
 * the sink does not keep is gone once the call returns.
 */
export interface RunSink {
  begin?(start: RunStart): void;
  /** Plan mode: one tenant's plan. */
  planned?(plan: TenantPlan): void;
  /**
   * Refresh and reset: one tenant's result with the plan it applied; tenants excluded from the run
   * come last, with no plan.
   */
  ran?(result: TenantResult, plan: TenantPlan | null): void;
}

/** What is kept of a tenant once it is done. */
export interface TenantSummary {
  readonly tenant: TenantRef;
  /** The plan's status (plan mode) or the result's (refresh, reset). */
  readonly status: TenantPlan["status"] | TenantResult["status"];
  readonly counts: TenantPlanCounts;
}

export function planSummaryOf(plan: TenantPlan): TenantSummary {
  return { tenant: plan.tenant, status: plan.status, counts: countTenantPlan(plan) };
}

export function resultSummaryOf(result: TenantResult, plan: TenantPlan | null): TenantSummary {
  const counts = plan === null ? { add: 0, remove: 0, blocked: 0, kept: 0, warnings: 0 } : countTenantPlan(plan);
  return { tenant: result.tenant, status: result.status, counts };
}

/** Totals of a fleet plan, added up a tenant at a time; the same figures as summariseFleetPlan. */
export class PlanTotals {
  private totals = { tenants: 0, toChange: 0, converged: 0, inaccessible: 0, add: 0, remove: 0, blocked: 0, kept: 0, warnings: 0 };

  add(plan: TenantPlan): void {
    const counts = countTenantPlan(plan);
    const t = this.totals;
    t.tenants += 1;
    if (plan.status === "changes") t.toChange += 1;
    else if (plan.status === "converged") t.converged += 1;
    else t.inaccessible += 1;
    t.add += counts.add;
    t.remove += counts.remove;
    t.blocked += counts.blocked;
    t.kept += counts.kept;
    t.warnings += counts.warnings;
  }

  summary(): FleetPlanSummary {
    return { ...this.totals };
  }
}

/** Totals of a run's results, added up a tenant at a time; the same figures as totalsOf. */
export class ResultTotals {
  private totals = {
    tenants: 0,
    converged: 0,
    changed: 0,
    failed: 0,
    skipped: 0,
    applied: 0,
    alreadyPresent: 0,
    removed: 0,
    blocked: 0,
    permissionsFailed: 0,
  };

  add(result: TenantResult): void {
    const t = this.totals;
    t.tenants += 1;
    t[result.status] += 1;
    for (const item of result.permissions) {
      if (item.type === "resource") continue;
      if (item.outcome === "applied") t.applied += 1;
      else if (item.outcome === "already-present") t.alreadyPresent += 1;
      else if (item.outcome === "removed") t.removed += 1;
      else if (item.outcome === "blocked") t.blocked += 1;
      else t.permissionsFailed += 1;
    }
  }

  summary(): RunTotals {
    return { ...this.totals };
  }

  exitCode(): 0 | 1 {
    return this.totals.failed > 0 ? 1 : 0;
  }
}
