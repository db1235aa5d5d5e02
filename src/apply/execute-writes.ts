/**
 * Executes plan actions as tenant changes and comes back with a verdict for each. Changes that
 * refer to objects other replicas do not know yet (a service principal created seconds ago) are
 * made again under the replication-polling policy; everything else is judged once.
 */
import type { LiveResource, LiveTenant } from "../live/model";
import type { PlanAction } from "../plan/model";
import type { ChangeAnswer, ChangeOutcome, ChangeVerdict, TenantChange, TenantPort } from "../tenant/port";
import { pollUntil, WRITE_LAG_RETRY, type BackoffPolicy } from "./replication-polling";
import type { Timing } from "./timing";

/** What became of one change. `retry` never appears here: it has become `failed` when time ran out. */
export interface SettledChange {
  readonly verdict: Exclude<ChangeVerdict, { kind: "retry" }>;
  /** The service's last answer; null when nothing was sent or no answer came. */
  readonly answer: ChangeAnswer | null;
  /** For a resource service principal just created: the resource as the answer describes it. */
  readonly created: LiveResource | null;
}

/** What became of one action. */
export interface ExecutedAction extends SettledChange {
  readonly action: PlanAction;
}

/** The change that carries out an action, or why it cannot be made with what is known. */
export type ChangeFor = { readonly ok: true; readonly change: TenantChange } | { readonly ok: false; readonly reason: string };

/**
 * The tenant change for a plan action against the tenant as last read. The consent is not such a
 * change; asking for it is a programming error.
 */
export function changeFor(action: PlanAction, live: LiveTenant): ChangeFor {
  const client = live.client;
  if (client === null) return { ok: false, reason: "CIPP-SAM's service principal is not in the tenant" };
  const clientId = client.servicePrincipalId;
  const resourceId = (appId: string): string | null => live.resources.get(appId)?.servicePrincipalId ?? null;
  switch (action.kind) {
    case "consent":
      throw new Error("The Partner Center consent is not a tenant change.");
    case "create-resource":
      return { ok: true, change: { kind: "create-service-principal", appId: action.resource.appId } };
    case "add-app-role": {
      const resource = resourceId(action.resource.appId);
      if (resource === null) return { ok: false, reason: `${action.resource.displayName} has no service principal in the tenant` };
      if (action.appRoleId === null)
        return { ok: false, reason: `${action.resource.displayName} publishes no app role ${action.permission}` };
      return { ok: true, change: { kind: "assign-app-role", clientId, resourceId: resource, appRoleId: action.appRoleId } };
    }
    case "remove-app-role":
      return { ok: true, change: { kind: "remove-app-role", clientId, assignmentId: action.assignmentId } };
    case "create-grant": {
      const resource = resourceId(action.resource.appId);
      if (resource === null) return { ok: false, reason: `${action.resource.displayName} has no service principal in the tenant` };
      return { ok: true, change: { kind: "create-grant", clientId, resourceId: resource, scopes: action.scopes } };
    }
    case "update-grant":
      return { ok: true, change: { kind: "patch-grant", grantId: action.grantId, scopes: action.scopes } };
    case "delete-duplicate-grant":
      return { ok: true, change: { kind: "delete-grant", grantId: action.grantId } };
  }
}

/** A change made, or made again, until it settles, with its last outcome (null before it is first sent). */
interface Pending {
  readonly change: TenantChange;
  last: Omit<ChangeOutcome, "answer"> & { readonly answer: ChangeAnswer | null };
}

/**
 * Makes `changes` under the replication-polling policy: what the tenant answers with `retry` is
 * made again after a backoff, within the policy's bounds; what is still `retry` when they are
 * spent has failed. One outcome per change, in order.
 */
export async function changeUntilSettled(
  port: TenantPort,
  changes: readonly TenantChange[],
  timing: Timing,
  policy: BackoffPolicy = WRITE_LAG_RETRY,
): Promise<SettledChange[]> {
  const all: Pending[] = changes.map((change) => ({
    change,
    last: { verdict: { kind: "retry", reason: "not sent" }, answer: null, created: null },
  }));
  const unsettled = (): Pending[] => all.filter((entry) => entry.last.verdict.kind === "retry");
  const outcome = await pollUntil(
    async () => {
      const pending = unsettled();
      try {
        const outcomes = await port.change(pending.map((entry) => entry.change));
        pending.forEach((entry, i) => {
          const got = outcomes[i];
          entry.last = got
            ? { verdict: got.verdict, answer: got.answer, created: got.created }
            : { verdict: { kind: "retry", reason: "no answer" }, answer: null, created: null };
        });
      } catch (error) {
        // The batch itself never got an answer (after the client's own retries): every change in it is in doubt.
        const reason = error instanceof Error ? error.message : String(error);
        for (const entry of pending) entry.last = { verdict: { kind: "retry", reason }, answer: null, created: null };
      }
      return unsettled().length;
    },
    (left) => left === 0,
    policy,
    timing,
  );
  return all.map(({ last }): SettledChange => {
    if (last.verdict.kind !== "retry") return { ...last, verdict: last.verdict };
    const reason = `${last.verdict.reason} (still after ${outcome.attempts} attempt${outcome.attempts === 1 ? "" : "s"})`;
    return { ...last, verdict: { kind: "failed", reason } };
  });
}

/** Executes `actions` against the tenant as last read (`live`), making again what replication lag holds back. */
export async function executeWrites(
  port: TenantPort,
  actions: readonly PlanAction[],
  live: LiveTenant,
  timing: Timing,
  policy: BackoffPolicy = WRITE_LAG_RETRY,
): Promise<ExecutedAction[]> {
  const done = new Map<PlanAction, ExecutedAction>();
  const sendable: { action: PlanAction; change: TenantChange }[] = [];
  for (const action of actions) {
    const built = changeFor(action, live);
    if (built.ok) sendable.push({ action, change: built.change });
    else done.set(action, { action, verdict: { kind: "failed", reason: built.reason }, answer: null, created: null });
  }
  if (sendable.length > 0) {
    const settled = await changeUntilSettled(
      port,
      sendable.map(({ change }) => change),
      timing,
      policy,
    );
    sendable.forEach(({ action }, i) => {
      const outcome = settled[i];
      if (outcome) done.set(action, { action, ...outcome });
    });
  }
  return actions.map((action) => done.get(action) as ExecutedAction);
}
