/** The one-line summaries every rendering ends or starts with, so text and Markdown say the same thing. */
import type { RunStop } from "../run/engine";
import type { RunMode } from "../plan/model";
import type { RunTotals, TenantResult } from "../apply/result";
import type { FleetPlan, TenantPlan, TenantRef } from "../plan/model";
import type { FleetPlanSummary, TenantPlanCounts } from "../plan/summary";

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** E.g. "Plan: 3 tenants to change, 2 converged, 1 inaccessible; 74 permissions to add, 0 to remove, 3 blocked". */
export function planSentence(summary: FleetPlanSummary): string {
  const extras = [
    summary.kept > 0 ? `${summary.kept} kept` : null,
    summary.warnings > 0 ? plural(summary.warnings, "warning") : null,
  ].filter((part): part is string => part !== null);
  return (
    `Plan: ${plural(summary.toChange, "tenant")} to change, ${summary.converged} converged, ${summary.inaccessible} inaccessible; ` +
    `${plural(summary.add, "permission")} to add, ${summary.remove} to remove, ${summary.blocked} blocked` +
    (extras.length > 0 ? `, ${extras.join(", ")}` : "")
  );
}

/**
 * Which tenants a plan covers, when that is not simply every managed tenant: an empty plan says
 * why it is empty, and a plan limited to a change says so. Null for a plain fleet or tenant plan.
 */
export function coverageSentence(plan: PlanCoverage): string | null {
  const coverage = changeCoverage(plan);
  const deleted = deletedSentence(plan.deletedTenantFiles ?? []);
  return coverage === null ? deleted : deleted === null ? coverage : `${coverage} ${deleted}`;
}

/** What the coverage sentence reads of a fleet plan: only how many tenants it holds, not the tenants. */
export type PlanCoverage = Pick<FleetPlan, "changedFiles" | "deletedTenantFiles"> & { readonly tenants: { readonly length: number } };

function changeCoverage(plan: PlanCoverage): string | null {
  const files = plan.changedFiles === undefined ? "" : ` (${plural(plan.changedFiles, "changed file")})`;
  if (plan.tenants.length === 0) {
    return plan.changedFiles === undefined
      ? "No tenant to plan: none is declared, or every declared tenant is excluded."
      : `No declared tenant is affected by this change${files}; nothing to plan.`;
  }
  return plan.changedFiles === undefined
    ? null
    : `Only the tenants this change touches are planned${files}: ${plural(plan.tenants.length, "tenant")}.`;
}

/** Deleting a tenant's file stops managing the tenant; it never resets or removes CIPP-SAM there. */
export function deletedSentence(files: readonly string[]): string | null {
  if (files.length === 0) return null;
  const named = files.join(", ");
  return files.length === 1
    ? `Deleted: ${named}. Its tenant is no longer managed; CIPP-SAM and its permissions there are left as they are (nothing is reset or removed).`
    : `Deleted: ${named}. Their tenants are no longer managed; CIPP-SAM and its permissions there are left as they are (nothing is reset or removed).`;
}

const MODE_WORDS: Readonly<Record<RunMode, string>> = { plan: "Plan", refresh: "Refresh", reset: "Reset" };

/** E.g. "Refresh: 4 tenants, 1 converged, 2 changed, 1 failed, 0 skipped; 74 applied, 0 removed, 3 blocked, 1 failed; exit code 1". */
export function resultSentence(mode: RunMode, totals: RunTotals, exitCode: 0 | 1): string {
  return (
    `${MODE_WORDS[mode]}: ${plural(totals.tenants, "tenant")}, ${totals.converged} converged, ${totals.changed} changed, ` +
    `${totals.failed} failed, ${totals.skipped} skipped; ${plural(totals.applied, "permission")} applied, ` +
    `${totals.removed} removed, ${totals.blocked} blocked, ${totals.permissionsFailed} failed; exit code ${exitCode}`
  );
}

/**
 * A planned tenant as its header names it, saying when its domain was proven to be the tenant's:
 * "Contoso (contoso.onmicrosoft.com, verified)".
 */
export function plannedTenantWords(plan: TenantPlan): string {
  if (plan.domainProof === undefined) return tenantWords(plan.tenant);
  const domain = plan.domainProof.domain;
  return plan.tenant.displayName === plan.tenant.defaultDomain
    ? `${domain} (verified)`
    : `${plan.tenant.displayName} (${domain}, verified)`;
}

/** A tenant as headers name it: "Contoso (contoso.onmicrosoft.com)". */
export function tenantWords(tenant: TenantRef): string {
  return tenant.displayName === tenant.defaultDomain ? tenant.defaultDomain : `${tenant.displayName} (${tenant.defaultDomain})`;
}

/**
 * A tenant plan's status and counts, e.g. "3 to add, 1 to remove, 2 blocked", "converged, 2 blocked",
 * or "inaccessible".
 */
export function planStatusWords(status: TenantPlan["status"], counts: TenantPlanCounts): string {
  if (status === "inaccessible") return "inaccessible";
  const parts = status === "changes" ? [`${counts.add} to add`, `${counts.remove} to remove`] : ["converged"];
  if (counts.blocked > 0) parts.push(`${counts.blocked} blocked`);
  if (counts.kept > 0) parts.push(`${counts.kept} kept`);
  if (counts.warnings > 0) parts.push(plural(counts.warnings, "warning"));
  return parts.join(", ");
}

const CONSENT_WORDS: Readonly<Record<TenantResult["steps"]["consent"], string>> = {
  created: "consent created",
  "already-existed": "consent already in place",
  "not-needed": "no consent needed",
  failed: "consent failed",
};

/**
 * A tenant that failed before anything was done in it: no step ran, so "no consent needed" would
 * claim a judgement that was never made.
 */
function neverRead(result: TenantResult): boolean {
  return (
    result.status === "failed" &&
    result.steps.consent === "not-needed" &&
    result.steps.reset === null &&
    result.permissions.length === 0 &&
    result.verification === null
  );
}

/** The steps and costs of a tenant's run, e.g. "consent created, 2.1 s, 14 requests". */
export function resultStepWords(result: TenantResult): string {
  const requests = result.requests.graph + result.requests.partnerCenter + result.requests.token;
  const parts = [neverRead(result) ? "the tenant could not be read" : CONSENT_WORDS[result.steps.consent]];
  if (result.steps.reset !== null) parts.push(result.steps.reset.removed ? "CIPP-SAM removed by reset" : "reset removed nothing");
  parts.push(`${(result.durationMs / 1000).toFixed(1)} s`, plural(requests, "request"));
  if (result.requests.throttled > 0) parts.push(`${result.requests.throttled} throttled`);
  return parts.join(", ");
}

/** Why a run stopped before every tenant was attempted, and what to do: the run's one error. */
export function stopSentence(stop: RunStop): string {
  return (
    `Stopped after ${stop.tenant.defaultDomain}: ${stop.problem.message} This applies to every tenant, so ` +
    `${plural(stop.notAttempted.length, "other tenant was", "other tenants were")} not attempted. To fix: ${stop.problem.action}`
  );
}
