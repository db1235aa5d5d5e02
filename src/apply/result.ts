/**
 * What a run reports: per tenant and per permission by name, what was applied, already present, removed,
 * blocked or failed, and why. This is the run artefact (JSON, schema/result.schema.json) and what the
 * renderings in src/report/ read. Types plus small pure helpers; no I/O.
 */
import type { Guid } from "../desired/model";
import type { AccessProblem } from "../live/model";
import type { BlockReason, ResourceRef, RunMode, TenantRef } from "../plan/model";
import type { Residual } from "../plan/residual";
import type { RequestCounts } from "../tenant/port";

export type { RequestCounts };

/** The version of this shape; bumped on any incompatible change. */
export const RESULT_SCHEMA_VERSION = 1;

/** An error from Microsoft, as a person can act on it. Never carries tokens, secrets or assertions. */
export interface OperationError {
  readonly service: "graph" | "partner-center" | "entra-id";
  /** HTTP status, or null when no response came (timeout, connection refused). */
  readonly status: number | null;
  /** Graph `error.code`, Partner Center `code`, or the AADSTS code. */
  readonly code: string;
  /** Microsoft's message, redacted. */
  readonly message: string;
}

/**
 * What became of one permission (or one resource's service principal, `type: "resource"`):
 * - `applied`: added by this run;
 * - `already-present`: held before the run, nothing written;
 * - `removed`: an extra removed under the "remove" policy;
 * - `blocked`: cannot apply in this tenant (`blockReason`, `detail`);
 * - `failed`: a write failed (`error`).
 */
export type PermissionOutcome = "applied" | "already-present" | "removed" | "blocked" | "failed";

export interface PermissionResult {
  readonly resource: ResourceRef;
  readonly type: "appRole" | "scope" | "resource";
  /** The permission name; null for the resource itself. */
  readonly permission: string | null;
  readonly outcome: PermissionOutcome;
  /** Set when `outcome` is "blocked". */
  readonly blockReason: BlockReason | null;
  /** Why it was blocked or failed, in words. */
  readonly detail: string | null;
  /** Set when `outcome` is "failed". */
  readonly error: OperationError | null;
}

/** What the Partner Center consent step did. */
export type ConsentStep = "created" | "already-existed" | "not-needed" | "failed";

/** What CIPP-SAM held before a reset removed it: enough to restore it by hand, by name. */
export interface ResetSnapshot {
  /** The removed service principal's object id (objects that referenced it need it to be repaired). */
  readonly servicePrincipalId: Guid;
  readonly appRoles: readonly {
    readonly resource: ResourceRef;
    readonly permission: string;
    readonly appRoleId: Guid;
  }[];
  readonly grants: readonly {
    readonly resource: ResourceRef;
    readonly consentType: "AllPrincipals" | "Principal";
    readonly principalId: Guid | null;
    readonly scopes: readonly string[];
  }[];
}

/** The reset step: null snapshot when there was nothing to remove. */
export interface ResetStep {
  readonly removed: boolean;
  readonly snapshot: ResetSnapshot | null;
  readonly error: OperationError | null;
}

/**
 * - `converged`: the tenant holds what is declared (blocked items aside), nothing written or all writes verified;
 * - `changed`: writes were made and the read-back shows no residual difference;
 * - `failed`: a step failed, the tenant was inaccessible, or the read-back still differs;
 * - `skipped`: not processed (excluded, or a plan-only run).
 */
export type TenantOutcome = "converged" | "changed" | "failed" | "skipped";

export interface TenantResult {
  readonly tenant: TenantRef;
  readonly status: TenantOutcome;
  /** Why the tenant could not be processed, with what to do about it. */
  readonly problem: AccessProblem | null;
  /** Why it was skipped, when it was. */
  readonly skippedReason: string | null;
  readonly steps: {
    readonly consent: ConsentStep;
    /** Null unless the run was a reset. */
    readonly reset: ResetStep | null;
  };
  /** Every declared permission and every extra touched, by name, sorted by resource then name. */
  readonly permissions: readonly PermissionResult[];
  /** The read-back's residual difference; null when nothing was written or the tenant failed before writing. */
  readonly verification: Residual | null;
  /** The first error that stopped the tenant, if any. */
  readonly error: OperationError | null;
  readonly durationMs: number;
  readonly requests: RequestCounts;
  /**
   * The Entra role template ids (sorted) the partner's active GDAP relationships with this tenant
   * grant, when the run read them (`refresh --gdap-changed` or `--gdap-state`); see src/discover/gdap-roles.ts.
   */
  readonly gdapRoles?: readonly string[];
}

/** Counts over a run, by tenant status and by permission outcome. */
export interface RunTotals {
  readonly tenants: number;
  readonly converged: number;
  readonly changed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly applied: number;
  readonly alreadyPresent: number;
  readonly removed: number;
  readonly blocked: number;
  readonly permissionsFailed: number;
}

/** The run artefact. */
export interface RunResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly mode: RunMode;
  /** ISO 8601 timestamps. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly tenants: readonly TenantResult[];
  readonly totals: RunTotals;
  /** 1 when any tenant failed, else 0. */
  readonly exitCode: 0 | 1;
}

/** Totals over tenant results; resource rows (`type: "resource"`) are not permissions and are not counted. */
export function totalsOf(tenants: readonly TenantResult[]): RunTotals {
  const withStatus = (status: TenantOutcome): number => tenants.filter((tenant) => tenant.status === status).length;
  const permissions = tenants.flatMap((tenant) => tenant.permissions).filter((item) => item.type !== "resource");
  const withOutcome = (outcome: PermissionOutcome): number => permissions.filter((item) => item.outcome === outcome).length;
  return {
    tenants: tenants.length,
    converged: withStatus("converged"),
    changed: withStatus("changed"),
    failed: withStatus("failed"),
    skipped: withStatus("skipped"),
    applied: withOutcome("applied"),
    alreadyPresent: withOutcome("already-present"),
    removed: withOutcome("removed"),
    blocked: withOutcome("blocked"),
    permissionsFailed: withOutcome("failed"),
  };
}

/** The process exit code a run ends with: 1 if any tenant failed. */
export function exitCodeOf(tenants: readonly TenantResult[]): 0 | 1 {
  return tenants.some((tenant) => tenant.status === "failed") ? 1 : 0;
}

/** Assembles the run artefact, deriving totals and exit code so they cannot disagree with the tenants. */
export function runResultOf(mode: RunMode, startedAt: string, finishedAt: string, tenants: readonly TenantResult[]): RunResult {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    mode,
    startedAt,
    finishedAt,
    tenants,
    totals: totalsOf(tenants),
    exitCode: exitCodeOf(tenants),
  };
}
