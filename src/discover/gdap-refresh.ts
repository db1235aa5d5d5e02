/**
 * `refresh --gdap-changed` and `refresh --gdap-state`: read every customer's GDAP role set, compare
 * it with the last record (src/discover/gdap-roles.ts), refresh — with a fresh Partner Center
 * consent — only the tenants whose set changed (or, with `--gdap-state` alone, the tenants the run
 * selects as usual), put each tenant's set in its result, and write the new record.
 */
import { runEngine, type EngineDeps, type RunOutcome } from "../apply/engine";
import type { RunRequest } from "../apply/run-request";
import type { Guid } from "../desired/model";
import { changedTenants, nextState, readGdapState, writeGdapState } from "./gdap-roles";
import { readGdapRoleSets } from "./run";

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
  const outcome: RunOutcome = { ...ran, rotatedRefreshToken: ran.rotatedRefreshToken ?? (refreshToken !== request.refreshToken ? refreshToken : null) };
  const refreshed = new Set(
    (outcome.result?.tenants ?? []).filter((t) => t.status === "converged" || t.status === "changed").map((t) => t.tenant.tenantId),
  );
  // A tenant keeps its old record unless this run refreshed it with a consent for its new roles:
  // a failed or skipped one, and a changed one refreshed without --gdap-changed, are tried again next time.
  const keep = new Set(
    fleet.tenants.map((t) => t.tenantId).filter((id) => !refreshed.has(id) || (!onlyChanged && changed.includes(id))),
  );
  writeGdapState(stateFile, nextState(previous, roles, fleet.tenants, keep, readAt));
  const result = outcome.result === null ? null : { ...outcome.result, tenants: outcome.result.tenants.map((t) => ({ ...t, gdapRoles: roles.get(t.tenant.tenantId) ?? [] })) };
  return { outcome: { ...outcome, result }, changed, previousRecordedAt: previous?.recordedAt ?? null };
}
