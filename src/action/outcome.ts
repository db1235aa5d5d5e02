/**
 * What the Action tells GitHub about a run: whether the plan holds changes, which tenants failed,
 * the annotations to raise, and progress lines. Pure functions of the plan and the results, so
 * the step's outputs and annotations are unit-testable without a runner.
 */
import * as path from "node:path";
import type { Progress } from "../run/run-request";
import type { DeclarationProblem } from "../desired/declaration-error";
import type { SourceLocation } from "../desired/model";
import type { OperationError, RunResult, TenantResult } from "../apply/result";
import type { BlockedItem, FleetPlan, ResourceRef, TenantPlan, TenantRef } from "../plan/model";
import { serviceWords } from "../report/lines";

/**
 * An annotation on the run: an error per failed tenant or declaration problem, a warning per
 * blocked workload, a notice for the run as a whole.
 */
export interface Annotation {
  readonly level: "error" | "warning" | "notice";
  readonly title: string;
  readonly message: string;
  /** Where in the repository, so that GitHub shows it on the line of a pull request's diff. */
  readonly file?: string;
  readonly line?: number;
}

/**
 * An error annotation per problem in the declarations, at its file and line relative to the
 * workspace (GitHub places annotations by repository path).
 */
export function declarationAnnotations(problems: readonly DeclarationProblem[], workspace: string): Annotation[] {
  return problems.map((problem) => {
    const file = path.isAbsolute(problem.file) ? path.relative(workspace, problem.file) : problem.file;
    return {
      level: "error",
      title: "Invalid declaration",
      message: problem.field === "" ? problem.message : `${problem.field}: ${problem.message}`,
      file: file.split(path.sep).join("/"),
      line: problem.line,
    };
  });
}

/** The step's verdict on a run. */
export interface RunVerdict {
  /** The plan holds changes for at least one tenant. */
  readonly changes: boolean;
  /** Default domains of the tenants that failed (or, in plan mode, could not be read). */
  readonly failedTenants: readonly string[];
  readonly annotations: readonly Annotation[];
}

/** Where each tenant is declared, so that its annotations sit on its file. */
export interface TenantLocations {
  /** Source of each tenant's declaration, by tenant id. */
  readonly sources: ReadonlyMap<string, SourceLocation>;
  /** The workspace: annotation paths are relative to it, as GitHub places them by repository path. */
  readonly workspace: string;
}

/** The verdict of a run; `result` is null in plan mode. */
export function verdictOf(plan: FleetPlan, result: RunResult | null, locations?: TenantLocations): RunVerdict {
  const failures = result === null ? planFailures(plan) : resultFailures(result);
  const blocked = result === null ? plan.tenants.flatMap(blockedInPlan) : result.tenants.flatMap(blockedInResult);
  const at = (tenant: TenantRef): Pick<Annotation, "file" | "line"> => locationOf(tenant, locations);
  return {
    changes: plan.tenants.some((tenant) => tenant.status === "changes"),
    failedTenants: failures.map((failure) => failure.tenant.defaultDomain),
    annotations: [
      ...failures.map((failure): Annotation => ({
        level: "error",
        title: `${failure.tenant.displayName} (${failure.tenant.defaultDomain}) failed`,
        message: failure.message,
        ...at(failure.tenant),
      })),
      ...blockedAnnotations(blocked, at),
    ],
  };
}

function locationOf(tenant: TenantRef, locations: TenantLocations | undefined): Pick<Annotation, "file" | "line"> {
  const source = locations?.sources.get(tenant.tenantId);
  if (locations === undefined || source === undefined) return {};
  const file = path.isAbsolute(source.file) ? path.relative(locations.workspace, source.file) : source.file;
  return { file: file.split(path.sep).join("/"), ...(source.line !== undefined ? { line: source.line } : {}) };
}

/**
 * GitHub keeps at most 10 error and 10 warning annotations per step (and 50 per job); the rest
 * are dropped without a word. One error is kept for the step's own failure message, and two
 * warnings for the Action's own (the refresh token's age, its write-back).
 */
export const ANNOTATION_LIMITS = { error: 9, warning: 8 } as const;

/** The annotations GitHub will show, and how many of each level did not fit. */
export function withinLimits(annotations: readonly Annotation[]): { shown: Annotation[]; dropped: { error: number; warning: number } } {
  const shown: Annotation[] = [];
  const dropped = { error: 0, warning: 0 };
  const count = { error: 0, warning: 0 };
  for (const annotation of annotations) {
    const level = annotation.level;
    if (level === "notice") shown.push(annotation);
    else if (count[level] < ANNOTATION_LIMITS[level]) {
      count[level] += 1;
      shown.push(annotation);
    } else dropped[level] += 1;
  }
  return { shown, dropped };
}

/** One progress line, e.g. "[3/40] fabrikam.onmicrosoft.com: changed (0 failed, about 2 min left)". */
export function progressLine(progress: Progress): string {
  const head = `[${progress.done}/${progress.total}]`;
  const last = progress.last === null ? "started" : `${progress.last.tenant}: ${progress.last.outcome}`;
  const eta = progress.etaMs === null || progress.done === progress.total ? "" : `, ${describeEta(progress.etaMs)}`;
  return `${head} ${last} (${progress.failed} failed${eta})`;
}

function describeEta(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 90 ? `about ${seconds} s left` : `about ${Math.round(seconds / 60)} min left`;
}

interface Failure {
  readonly tenant: TenantRef;
  readonly message: string;
}

function planFailures(plan: FleetPlan): Failure[] {
  return plan.tenants
    .filter((tenant) => tenant.status === "inaccessible")
    .map((tenant) => ({
      tenant: tenant.tenant,
      message: tenant.problem === null ? "The tenant could not be read." : `${tenant.problem.message} ${tenant.problem.action}`,
    }));
}

function resultFailures(result: RunResult): Failure[] {
  return result.tenants
    .filter((tenant) => tenant.status === "failed")
    .map((tenant) => ({ tenant: tenant.tenant, message: whyFailed(tenant) }));
}

/** The most actionable reason a tenant failed: its access problem, its first error, or what still differs. */
function whyFailed(tenant: TenantResult): string {
  if (tenant.problem !== null) return `${tenant.problem.message} ${tenant.problem.action}`;
  if (tenant.error !== null) return describeError(tenant.error);
  const failed = tenant.permissions.filter((item) => item.outcome === "failed");
  if (failed.length > 0) {
    const first = failed[0];
    const name = first === undefined ? "" : `${first.resource.displayName} ${first.permission ?? "service principal"}`;
    const cause = first?.error ? `: ${describeError(first.error)}` : first?.detail ? `: ${first.detail}` : "";
    return `${failed.length} permission(s) could not be applied; first ${name}${cause}`;
  }
  const residual = tenant.verification;
  if (residual !== null && !residual.converged) {
    return residual.problem !== null
      ? `The read-back after applying failed: ${residual.problem.message} ${residual.problem.action}`
      : `The read-back after applying still differs from the declaration (${residual.actions.length} action(s) left).`;
  }
  return "The tenant failed; see the results for details.";
}

function describeError(error: OperationError): string {
  const service = serviceWords(error.service);
  return error.status === null
    ? `${service} did not answer (${error.code}): ${error.message}`
    : `${service} answered HTTP ${error.status} (${error.code}): ${error.message}`;
}

interface Blocked {
  readonly tenant: TenantRef;
  readonly resource: ResourceRef;
  /** Null when the whole resource is blocked. */
  readonly permission: string | null;
  readonly detail: string;
}

function blockedInPlan(plan: TenantPlan): Blocked[] {
  return plan.blocked.map((item: BlockedItem) => ({
    tenant: plan.tenant,
    resource: item.resource,
    permission: item.type === "resource" ? null : item.permission,
    detail: item.detail,
  }));
}

function blockedInResult(tenant: TenantResult): Blocked[] {
  return tenant.permissions
    .filter((item) => item.outcome === "blocked")
    .map((item) => ({
      tenant: tenant.tenant,
      resource: item.resource,
      permission: item.type === "resource" ? null : item.permission,
      detail: item.detail ?? item.blockReason ?? "blocked",
    }));
}

function groupBlocked(items: readonly Blocked[]): Map<string, Blocked[]> {
  const groups = new Map<string, Blocked[]>();
  for (const item of items) {
    const key = `${item.tenant.tenantId}\u0000${item.resource.appId}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

/**
 * One warning per tenant and blocked workload: an unlicensed workload blocks dozens of permissions
 * at once, and GitHub shows only the first few annotations of a step.
 */
function blockedAnnotations(items: readonly Blocked[], at: (tenant: TenantRef) => Pick<Annotation, "file" | "line">): Annotation[] {
  return [...groupBlocked(items).values()].map((group) => {
    const first = group[0] as Blocked;
    const permissions = group.flatMap((item) => (item.permission === null ? [] : [item.permission]));
    const wholeResource = group.find((item) => item.permission === null);
    const details = [...new Set((wholeResource ? [wholeResource] : group).map((item) => item.detail))];
    const what = permissions.length === 0 ? "blocked" : `${permissions.length} permission(s) blocked (${permissions.join(", ")})`;
    return {
      level: "warning",
      title: `${first.tenant.displayName}: ${first.resource.displayName} blocked`,
      message: `${first.tenant.defaultDomain}: ${first.resource.displayName} ${what}: ${details.join("; ")}`,
      ...at(first.tenant),
    };
  });
}
