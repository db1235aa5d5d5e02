/**
 * The record of one tenant's run as it happens: what became of every permission, by name, and of
 * each step. Later entries for the same permission replace earlier ones (a write that failed and
 * then succeeded on the second round is applied). Turns into the result model at the end.
 */
import type { AccessProblem } from "../live/model";
import type { BlockedItem, PlanAction, ResourceRef, TenantPlan, TenantRef } from "../plan/model";
import type { Residual } from "../plan/residual";
import { compareNames } from "../plan/order";
import type { ExecutedAction } from "./execute-writes";
import { describeAnswer } from "../tenant/graph-writes";
import type {
  ConsentStep,
  OperationError,
  PermissionOutcome,
  PermissionResult,
  RequestCounts,
  ResetStep,
  TenantOutcome,
  TenantResult,
} from "./result";

type PermissionType = PermissionResult["type"];

const keyOf = (resource: ResourceRef, type: PermissionType, permission: string | null): string =>
  `${resource.appId.toLowerCase()}|${type}|${(permission ?? "").toLowerCase()}`;

/** Collects what happened to one tenant during a run. */
export class TenantLedger {
  private readonly rows = new Map<string, PermissionResult>();
  consent: ConsentStep = "not-needed";
  reset: ResetStep | null = null;
  verification: Residual | null = null;
  private problem: AccessProblem | null = null;
  private error: OperationError | null = null;
  private failed = false;

  constructor(
    readonly tenant: TenantRef,
    private readonly startedAt: number,
  ) {}

  /** Marks the tenant failed, with the error that stopped it and what to do (the first one wins). */
  fail(problem: AccessProblem, error: OperationError | null = null): void {
    this.failed = true;
    this.problem ??= problem;
    this.error ??= error;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  /** The problem that failed the tenant, if any. */
  get failure(): AccessProblem | null {
    return this.problem;
  }

  /** Records one outcome, replacing any earlier one for the same permission. */
  note(
    resource: ResourceRef,
    type: PermissionType,
    permission: string | null,
    outcome: PermissionOutcome,
    extra: { blockReason?: PermissionResult["blockReason"]; detail?: string | null; error?: OperationError | null } = {},
  ): void {
    this.rows.set(keyOf(resource, type, permission), {
      resource,
      type,
      permission,
      outcome,
      blockReason: extra.blockReason ?? null,
      detail: extra.detail ?? null,
      error: extra.error ?? null,
    });
  }

  /** Records blocked items (a plan's, or a resource found unavailable while creating it). */
  noteBlocked(items: readonly BlockedItem[]): void {
    for (const item of items) {
      this.note(item.resource, item.type, item.permission, "blocked", { blockReason: item.reason, detail: item.detail });
    }
  }

  /** Records the outcome of executed writes, permission by permission. */
  noteExecuted(executed: readonly ExecutedAction[]): void {
    for (const { action, verdict, answer } of executed) {
      if (verdict.kind === "conflict") continue; // settled by a second round, recorded then
      const error: OperationError | null =
        verdict.kind === "failed"
          ? {
              service: "graph",
              status: answer?.status ?? null,
              code: answer?.code ?? (answer ? `HTTP${answer.status}` : "not-sent"),
              message: answer ? describeAnswer(answer) : verdict.reason,
            }
          : null;
      const detail = verdict.kind === "failed" || verdict.kind === "unavailable" ? verdict.reason : null;
      const outcomeFor = (success: PermissionOutcome): PermissionOutcome =>
        verdict.kind === "failed" ? "failed" : verdict.kind === "already-present" ? "already-present" : success;
      switch (action.kind) {
        case "create-resource":
          if (verdict.kind === "unavailable") {
            this.note(action.resource, "resource", null, "blocked", { blockReason: "resource-unavailable", detail });
          } else {
            this.note(action.resource, "resource", null, outcomeFor("applied"), { detail, error });
          }
          break;
        case "add-app-role":
          this.note(action.resource, "appRole", action.permission, outcomeFor("applied"), { detail, error });
          break;
        case "remove-app-role":
          this.note(action.resource, "appRole", action.permission, outcomeFor("removed"), { detail, error });
          break;
        case "create-grant":
          for (const scope of action.scopes) this.note(action.resource, "scope", scope, outcomeFor("applied"), { detail, error });
          break;
        case "update-grant":
          for (const scope of action.add) this.note(action.resource, "scope", scope, outcomeFor("applied"), { detail, error });
          for (const scope of action.remove) this.note(action.resource, "scope", scope, outcomeFor("removed"), { detail, error });
          break;
        case "delete-duplicate-grant":
          if (verdict.kind === "failed") {
            this.error ??= error;
          }
          break;
        case "consent":
          break;
      }
    }
  }

  /**
   * Records as already present every declared permission nothing else was recorded for.
   * `declared` is the plan of the tenant as if CIPP-SAM held nothing: its additions name every
   * declared permission the tenant's resources publish.
   */
  noteAlreadyPresent(declared: TenantPlan): void {
    const mark = (resource: ResourceRef, type: PermissionType, permission: string | null): void => {
      if (!this.rows.has(keyOf(resource, type, permission))) this.note(resource, type, permission, "already-present");
    };
    for (const action of declared.actions) {
      if (action.kind === "add-app-role") mark(action.resource, "appRole", action.permission);
      if (action.kind === "create-grant") for (const scope of action.scopes) mark(action.resource, "scope", scope);
    }
  }

  /**
   * After a converged read-back, a write that reported an error but whose permission is in place
   * (a lost answer, a duplicate) is applied after all; the error stays as its detail.
   */
  settleByReadBack(residual: readonly PlanAction[]): void {
    const outstanding = new Set<string>();
    for (const action of residual) {
      if (action.kind === "add-app-role" || action.kind === "remove-app-role")
        outstanding.add(keyOf(action.resource, "appRole", action.permission));
      if (action.kind === "create-grant") for (const s of action.scopes) outstanding.add(keyOf(action.resource, "scope", s));
      if (action.kind === "update-grant")
        for (const s of [...action.add, ...action.remove]) outstanding.add(keyOf(action.resource, "scope", s));
      if (action.kind === "create-resource") outstanding.add(keyOf(action.resource, "resource", null));
    }
    for (const [key, row] of this.rows) {
      if (row.outcome === "failed" && !outstanding.has(key)) {
        const detail = `${row.detail ?? "the write reported an error"}; the read-back shows it in place`;
        this.rows.set(key, { ...row, outcome: "applied", detail, error: null });
      }
    }
  }

  /** Whether anything was written: a consent created, a permission applied or removed. */
  get changed(): boolean {
    if (this.consent === "created" || this.reset?.removed === true) return true;
    for (const row of this.rows.values()) if (row.outcome === "applied" || row.outcome === "removed") return true;
    return false;
  }

  /** The tenant's result; failed when a step failed or any permission write failed. */
  toResult(now: number, requests: RequestCounts): TenantResult {
    const permissions = [...this.rows.values()].sort(
      (a, b) =>
        compareNames(a.resource.displayName, b.resource.displayName) ||
        compareNames(a.resource.appId, b.resource.appId) ||
        TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
        compareNames(a.permission ?? "", b.permission ?? ""),
    );
    const writeFailed = permissions.some((row) => row.outcome === "failed");
    const status: TenantOutcome = this.failed || writeFailed ? "failed" : this.changed ? "changed" : "converged";
    const firstFailure = permissions.find((row) => row.outcome === "failed");
    return {
      tenant: this.tenant,
      status,
      problem: this.problem,
      skippedReason: null,
      steps: { consent: this.consent, reset: this.reset },
      permissions,
      verification: this.verification,
      error: this.error ?? firstFailure?.error ?? null,
      durationMs: Math.max(0, now - this.startedAt),
      requests,
    };
  }
}

const TYPE_ORDER: Record<PermissionType, number> = { resource: 0, appRole: 1, scope: 2 };
