/**
 * Verification after a refresh: the plan of the read-back must have nothing left to do. Blocked permissions
 * (an unlicensed workload, a role the resource does not publish) are allowed; they were never going to apply.
 */
import type { AccessProblem } from "../live/model";
import type { BlockedItem, PlanAction, TenantPlan } from "./model";

/** What a read-back still differs in from the declaration. */
export interface Residual {
  /** True when the read-back needs no action and could be read at all. */
  readonly converged: boolean;
  /** What a refresh would still do; empty when converged. */
  readonly actions: readonly PlanAction[];
  readonly blocked: readonly BlockedItem[];
  /** Why the read-back could not be read, if it could not. */
  readonly problem: AccessProblem | null;
}

/**
 * The residual difference of a plan made from the read-back after applying (plan it without forcing consent,
 * or the forced consent shows up as a residual). What a resource found unavailable during the refresh still
 * asks for counts as blocked, not as left to do: its service principal was refused, with a reason.
 */
export function residualDifference(readBack: TenantPlan, unavailable: ReadonlyMap<string, readonly BlockedItem[]> = new Map()): Residual {
  const actions = readBack.actions.filter((a) => a.kind === "consent" || !unavailable.has(a.resource.appId));
  const blocked = [...readBack.blocked, ...[...unavailable.values()].flat()];
  return { converged: readBack.status !== "inaccessible" && actions.length === 0, actions, blocked, problem: readBack.problem };
}
