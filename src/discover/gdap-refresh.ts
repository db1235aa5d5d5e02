/**
 * `refresh --gdap-changed` and `refresh --gdap-state`: read every customer's GDAP role set, compare
 * it with the last record (src/discover/gdap-roles.ts), refresh — with a fresh Partner Center
 * consent — only the tenants whose set changed (or, with `--gdap-state` alone, the tenants the run
 * selects as usual), put each tenant's set in its result, and write the new record.
 */
import { runEngine, type EngineDeps, type RunOutcome } from "../run/engine";
import type { RunRequest } from "../run/run-request";
import type { Guid } from "../desired/model";
import { changedTenants, nextState, readGdapState, writeGdapState } from "./gdap-roles";
import { readGdapChanges, readGdapRoleSets } from "./run";

export interface GdapRefreshRequest extends Omit<RunRequest, "mode" | "tenantIds"> {
  readonly stateFile: string;
  /** Refresh only the tenants whose role set changed, each with a fresh consent. */
  readonly onlyChanged: boolean;
}

export interface GdapRefreshOutcome {
  readonly outcome: RunOutcome;
  /** Tenants whose GDAP role set differs from the record. */
  readonly changed: readonly Guid[];
  /** When the previous record was made; null when there was none (this run records the first). */
  readonly previousRecordedAt: string | null;
}

export async function refreshOnGdapChange(request: GdapRefreshRequest, deps: EngineDeps = {}): Promise<GdapRefreshOutcome> {
  const previous = readGdapState(request.stateFile);
  const { roles, fleet, readAt, refreshToken } = await readGdapRoleSets(request, deps);
  const changed = changedTenants(previous, roles, fleet.tenants);
  const { stateFile, onlyChanged, ...rest } = request;
  const engineRequest = { ...rest, refreshToken };
  const ran = await runEngine(
    onlyChanged ? { ...engineRequest, mode: "refresh", tenantIds: changed, forceConsent: true } : { ...engineRequest, mode: "refresh" },
    deps,
  );
  const outcome: RunOutcome = {
    ...ran,
    rotatedRefreshToken: ran.rotatedRefreshToken ?? (refreshToken !== request.refreshToken ? refreshToken : null),
  };
  const refreshed = new Set(
    (outcome.result?.tenants ?? []).filter((t) => t.status === "converged" || t.status === "changed").map((t) => t.tenant.tenantId),
  );
  // A tenant keeps its old record unless this run refreshed it with a consent for its new roles:
  // a failed or skipped one, and a changed one refreshed without --gdap-changed, are tried again next time.
  const keep = new Set(fleet.tenants.map((t) => t.tenantId).filter((id) => !refreshed.has(id) || (!onlyChanged && changed.includes(id))));
  writeGdapState(stateFile, nextState(previous, roles, fleet.tenants, keep, readAt));
  const result =
    outcome.result === null
      ? null
      : { ...outcome.result, tenants: outcome.result.tenants.map((t) => ({ ...t, gdapRoles: roles.get(t.tenant.tenantId) ?? [] })) };
  return { outcome: { ...outcome, result }, changed, previousRecordedAt: previous?.recordedAt ?? null };
}

export interface GdapChangedSinceOutcome {
  readonly outcome: RunOutcome;
  /** Declared tenants whose GDAP access changed after `since`: each was refreshed with a fresh consent. */
  readonly changed: readonly Guid[];
  /** Of those, the ones whose access assignments could not be read (counted as changed). */
  readonly unread: readonly Guid[];
}

/**
 * `refresh --gdap-changed-since` and the Action's `gdap-changed-since`: reads GDAP once, then runs
 * the normal refresh with a fresh Partner Center consent for the tenants whose access changed after
 * `since` (epoch milliseconds). Keeps no state: the caller chooses the time (the nightly: when the
 * last successful nightly started).
 */
export async function refreshOnGdapChangesSince(
  request: Omit<RunRequest, "mode">,
  since: number,
  deps: EngineDeps = {},
): Promise<GdapChangedSinceOutcome> {
  const { changes, fleet, refreshToken } = await readGdapChanges(request, since, deps);
  const declared = new Set(fleet.tenants.map((t) => t.tenantId));
  const changed = changes.tenants.filter((id) => declared.has(id));
  const ran = await runEngine({ ...request, mode: "refresh", refreshToken, consentFor: changed }, deps);
  const outcome: RunOutcome = {
    ...ran,
    rotatedRefreshToken: ran.rotatedRefreshToken ?? (refreshToken !== request.refreshToken ? refreshToken : null),
  };
  return { outcome, changed, unread: changes.unread.filter((id) => declared.has(id)) };
}

/** The line a run prints about the tenants that get a consent for changed GDAP access. */
export function gdapChangedSinceLine(since: number, changed: readonly Guid[], unread: readonly Guid[]): string {
  const when = new Date(since).toISOString();
  if (changed.length === 0) return `No declared tenant's GDAP access changed since ${when}: no consent forced.`;
  const unreadNote = unread.length === 0 ? "" : ` (access assignments unreadable, counted as changed: ${unread.join(", ")})`;
  return `GDAP access changed since ${when} for ${changed.length} ${changed.length === 1 ? "tenant" : "tenants"}: ${changed.join(", ")}${unreadNote}. Each gets a fresh Partner Center consent in this refresh.`;
}
