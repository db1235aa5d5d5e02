/**
 * Sends a set of plan actions as Graph writes and comes back with a verdict for each. Writes
 * that refer to objects other replicas do not know yet (a service principal created seconds ago)
 * are sent again with backoff, within bounds; everything else is judged once.
 */
import type { LiveTenant } from "../live/model";
import type { PlanAction } from "../plan/model";
import { backoffDelay, type BackoffPolicy } from "./backoff";
import { graphWriteFor, judgeReply, type WriteVerdict } from "../tenant/graph-writes";
import type { GraphReply, GraphWrite, TenantPort } from "../tenant/port";
import type { Timing } from "./timing";

/** What became of one action. `retry` never appears here: it has become `failed` when time ran out. */
export interface ExecutedAction {
  readonly action: PlanAction;
  readonly verdict: Exclude<WriteVerdict, { kind: "retry" }>;
  /** Graph's last answer; null when nothing was sent or no answer came. */
  readonly reply: GraphReply | null;
}

/**
 * Replication of a new object usually takes seconds; writes referring to it are retried for up to
 * about two minutes before the action is reported as failed.
 */
export const WRITE_LAG_RETRY: BackoffPolicy = {
  maxAttempts: 6,
  initialDelayMs: 2_000,
  maxDelayMs: 30_000,
  maxTotalMs: 2 * 60_000,
};

/** Writes `actions` against the tenant as last read (`live`), retrying what replication lag holds back. */
export async function executeWrites(
  port: TenantPort,
  actions: readonly PlanAction[],
  live: LiveTenant,
  timing: Timing,
  policy: BackoffPolicy = WRITE_LAG_RETRY,
): Promise<ExecutedAction[]> {
  const done = new Map<PlanAction, ExecutedAction>();
  let pending: { action: PlanAction; write: GraphWrite }[] = [];
  for (const action of actions) {
    const built = graphWriteFor(action, live);
    if (built.ok) pending.push({ action, write: built.write });
    else done.set(action, { action, verdict: { kind: "failed", reason: built.reason }, reply: null });
  }

  let waited = 0;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const again: typeof pending = [];
    const lastChance = attempt >= policy.maxAttempts || waited >= policy.maxTotalMs;
    let replies: { reply: GraphReply | null; verdict: WriteVerdict }[];
    try {
      replies = (await port.write(pending.map((item) => item.write))).map((reply, i) => ({
        reply,
        verdict: judgeReply((pending[i] as { action: PlanAction }).action, reply),
      }));
    } catch (error) {
      // The batch itself never got an answer (after the client's own retries): every item is in doubt.
      const reason = error instanceof Error ? error.message : String(error);
      replies = pending.map(() => ({ reply: null, verdict: { kind: "retry", reason } }));
    }
    pending.forEach((item, i) => {
      const { reply, verdict } = replies[i] ?? { reply: null, verdict: { kind: "retry", reason: "no answer" } as WriteVerdict };
      if (verdict.kind !== "retry") {
        done.set(item.action, { action: item.action, verdict, reply });
      } else if (lastChance) {
        const reason = `${verdict.reason} (still after ${attempt} attempt${attempt === 1 ? "" : "s"})`;
        done.set(item.action, { action: item.action, verdict: { kind: "failed", reason }, reply });
      } else {
        again.push(item);
      }
    });
    if (again.length === 0) break;
    const delay = Math.min(backoffDelay(policy, attempt, timing.random), Math.max(0, policy.maxTotalMs - waited));
    waited += delay;
    await timing.sleep(delay);
    pending = again;
  }
  return actions.map((action) => done.get(action) as ExecutedAction);
}
