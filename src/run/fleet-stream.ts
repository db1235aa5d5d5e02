/**
 * A fleet run as a stream: tenants are planned, refreshed or reset a window at a time and handed
 * to a sink in declaration order as soon as they and every tenant before them are done, so that
 * reports are written as the run goes and nothing but a small summary per tenant stays in memory.
 */
import type { FleetPlan, TenantPlan, TenantRef } from "../plan/model";
import { countTenantPlan, type FleetPlanSummary, type TenantPlanCounts } from "../plan/summary";
import type { RunTotals, TenantResult } from "../apply/result";
import type { Progress, RunMode } from "./run-request";
import type { Job } from "./scheduler";

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

export interface OrderedJobsOptions<T> {
  readonly concurrency: number;
  /**
   * How many tenants may be done but not yet handed on (waiting for an earlier, slower one); no job
   * starts beyond it, so memory stays bounded whatever the fleet's size.
   */
  readonly window: number;
  readonly now: () => number;
  readonly onCrash: (key: string, error: unknown) => T;
  readonly describe: (result: T) => { readonly failed: boolean; readonly outcome: string };
  readonly onProgress?: (progress: Progress) => void;
  /** Each job's result, in the jobs' order; nothing of it is kept here after the call. */
  readonly deliver: (result: T, index: number) => void;
}

/**
 * Runs `jobs` `concurrency` at a time and delivers their results in the jobs' order, holding at most
 * `window` finished results that wait for an earlier job. Never rejects because a job did.
 * Progress is reported as jobs finish, as the scheduler does.
 */
export async function runJobsInOrder<T>(jobs: readonly Job<T>[], options: OrderedJobsOptions<T>): Promise<void> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const window = Math.max(concurrency, Math.floor(options.window));
  const waiting = new Map<number, T>();
  const started = options.now();
  let next = 0;
  let delivered = 0;
  let done = 0;
  let failed = 0;
  let wake: (() => void) | null = null;
  let deliveryError: unknown = null;

  const progress = (key: string, result: T): void => {
    done += 1;
    const { failed: isFailure, outcome } = options.describe(result);
    if (isFailure) failed += 1;
    if (!options.onProgress) return;
    const elapsed = options.now() - started;
    const etaMs = done === jobs.length ? 0 : Math.round((elapsed / done) * (jobs.length - done));
    try {
      options.onProgress({ done, total: jobs.length, failed, etaMs, last: { tenant: key, outcome } });
    } catch {
      // A broken progress display must not abort the run it reports on.
    }
  };

  const flush = (): void => {
    for (let result = waiting.get(delivered); waiting.has(delivered); result = waiting.get(delivered)) {
      waiting.delete(delivered);
      try {
        if (deliveryError === null) options.deliver(result as T, delivered);
      } catch (error) {
        // A sink that cannot write (a full disk) must not leave tenants half-run: the run goes on, the error is raised at its end.
        deliveryError = error;
      }
      delivered += 1;
    }
    const woken = wake;
    wake = null;
    woken?.();
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      while (next < jobs.length && next >= delivered + window) await new Promise<void>((resolve) => (wake = chain(wake, resolve)));
      const index = next++;
      const job = jobs[index];
      if (job === undefined) return;
      let result: T;
      try {
        result = await job.run();
      } catch (error) {
        result = options.onCrash(job.key, error);
      }
      progress(job.key, result);
      waiting.set(index, result);
      flush();
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, () => worker()));
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the sink threw, unchanged
  if (deliveryError !== null) throw deliveryError;
}

/** Wakes every worker waiting for the window to move, not only the last one to wait. */
function chain(previous: (() => void) | null, next: () => void): () => void {
  return previous === null
    ? next
    : () => {
        previous();
        next();
      };
}
