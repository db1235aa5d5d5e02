/**
 * The reset of one tenant: record what CIPP-SAM holds, remove its consent through Partner Center,
 * delete its service principal through Graph when the consent removal left it in place, then
 * converge the tenant from nothing and verify. A run stopped between removal and re-add is
 * resumed by a plain refresh, which sees "not consented" and consents again.
 */
import type { DesiredTenant } from "../desired/model";
import type { LiveReading, LiveTenant } from "../live/model";
import { planTenant } from "../plan/diff";
import type { ResourceRef } from "../plan/model";
import { describeAnswer } from "../tenant/graph-writes";
import { changeUntilSettled } from "./execute-writes";
import { withAttempts } from "./replication-polling";
import { TenantLedger } from "./ledger";
import { operationErrorOf, problemOf } from "./operation-error";
import { convergeTenant, tenantRefOf, type ConvergeOptions, type StepSettings, type TenantRun } from "./refresh";
import type { OperationError, ResetSnapshot } from "./result";
import type { TenantPort } from "../tenant/port";

/** Re-adding CIPP-SAM after its removal is retried this often: until it succeeds the tenant is without the app. */
const READD_ATTEMPTS = 4;

/** Resets one tenant. The caller has checked the confirmation. Never throws for the tenant's own failures. */
export async function resetTenant(desired: DesiredTenant, port: TenantPort, settings: StepSettings): Promise<TenantRun> {
  const ledger = new TenantLedger(tenantRefOf(desired), settings.timing.clock());
  const finish = (plan: TenantRun["plan"]): TenantRun => ({ plan, result: ledger.toResult(settings.timing.clock(), port.requestCounts()) });

  let before: LiveReading;
  try {
    before = await port.read();
  } catch (error) {
    ledger.reset = { removed: false, snapshot: null, error: operationErrorOf(error) };
    ledger.fail(
      problemOf("Reading the tenant before the reset", error, "Nothing was removed. Run the reset again."),
      operationErrorOf(error),
    );
    return finish(planTenant(desired, { kind: "inaccessible", problem: problemOf("Reading the tenant", error, "") }, settings.planOptions));
  }
  const plan = planTenant(desired, before, { ...settings.planOptions, forceConsent: true });
  if (before.kind === "inaccessible" || plan.status === "inaccessible") {
    // Removing CIPP-SAM from a tenant it cannot be consented in again would lock CIPP out of it.
    ledger.reset = { removed: false, snapshot: null, error: null };
    const problem = plan.problem ?? (before.kind === "inaccessible" ? before.problem : null);
    if (problem !== null) ledger.fail({ ...problem, message: `${problem.message} Nothing was removed.` });
    return finish(plan);
  }
  const live = before.kind === "read" ? before.live : null;
  const snapshot = live !== null && live.client !== null ? snapshotOf(live) : null;

  // The record goes to disk, flushed, before the first destructive call: a process killed after the
  // removal would otherwise take the only copy of what the tenant held with it.
  let recordFile: string | null = null;
  if (settings.resetRecords !== undefined) {
    try {
      recordFile = settings.resetRecords.begin(tenantRefOf(desired), snapshot, new Date(settings.timing.clock()).toISOString());
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? "unwritable";
      ledger.reset = { removed: false, snapshot, error: null };
      ledger.fail({
        kind: "unknown",
        message: `The reset's record could not be written to ${settings.resetRecords.folder} (${why}). Nothing was removed.`,
        action: "Make the folder writable (or choose another for the records), then run the reset again.",
      });
      return finish(plan);
    }
  }
  const finishRecorded = (run: TenantRun): TenantRun => {
    if (recordFile !== null) settings.resetRecords?.finish(recordFile, run.result.status, new Date(settings.timing.clock()).toISOString());
    return run;
  };

  const tenantName = desired.defaultDomain;
  const readd: ConvergeOptions = {
    forceConsent: true,
    consentAttempts: READD_ATTEMPTS,
    consentFailureAction:
      `CIPP-SAM was removed from ${tenantName} and could NOT be added back, so CIPP has no access to this tenant until it is. ` +
      `Fix the cause above, then run: cipp-cpv refresh --tenant ${tenantName}`,
  };

  try {
    await port.removeConsent();
  } catch (error) {
    // The removal may have taken effect although its answer was lost: a refresh with fresh tokens
    // finds out, and consents again when CIPP-SAM is gone. Its own failure, if any, is the one to report.
    port.renewTokens();
    await convergeTenant(ledger, desired, port, settings, { ...readd, forceConsent: false });
    const readded = ledger.consent === "created";
    ledger.reset = { removed: readded, snapshot, error: operationErrorOf(error) };
    const state = readded ? "The removal had taken effect after all, and CIPP-SAM was added back." : "CIPP-SAM is still in the tenant.";
    ledger.fail(
      problemOf("Removing the Partner Center consent", error, `${state} Fix the cause above and run the reset again.`),
      operationErrorOf(error),
    );
    return finishRecorded(finish(plan));
  }

  // Partner Center's DELETE may leave the service principal in place (README, "A reset is never a blind delete").
  // The token cached from the read above still carries the scopes to delete it.
  let leftoverError: OperationError | null = null;
  if (snapshot !== null) leftoverError = await deleteLeftoverServicePrincipal(port, snapshot.servicePrincipalId, settings);
  ledger.reset = { removed: leftoverError === null, snapshot, error: leftoverError };
  if (leftoverError !== null) {
    ledger.fail({
      kind: "unknown",
      message: `The consent was removed, but CIPP-SAM's service principal ${snapshot?.servicePrincipalId} could not be deleted: ${leftoverError.message}. CIPP-SAM is being consented again so that the tenant is not left without it.`,
      action: "Delete the CIPP-SAM enterprise application in the tenant by hand if a clean reset is needed, then run the reset again.",
    });
  }

  port.renewTokens();
  // Graph lists a deleted object for a while after the delete: the re-added CIPP-SAM is the one with
  // another id, or the convergence would plan against the old one's grants and write nothing. (When
  // the old one could not be deleted, it is the one consented again.)
  const replaced = snapshot === null || leftoverError !== null ? {} : { replacedServicePrincipalId: snapshot.servicePrincipalId };
  await convergeTenant(ledger, desired, port, settings, { ...readd, ...replaced });
  return finishRecorded(finish(plan));
}

/** Deletes CIPP-SAM's service principal if it is still there; null when it is gone. */
async function deleteLeftoverServicePrincipal(
  port: TenantPort,
  servicePrincipalId: string,
  settings: StepSettings,
): Promise<OperationError | null> {
  // Only a reading that shows it gone counts: when the tenant cannot be read (the old token's
  // grants are gone, a transient error), the delete is tried and its answer tells.
  let gone: boolean;
  try {
    const after = await port.read();
    gone = after.kind === "not-consented" || (after.kind === "read" && after.live.client?.servicePrincipalId !== servicePrincipalId);
  } catch {
    gone = false;
  }
  if (gone) return null;
  const [settled] = await changeUntilSettled(
    port,
    [{ kind: "delete-service-principal", servicePrincipalId }],
    settings.timing,
    withAttempts(settings.writeRetry, 3),
  );
  if (settled === undefined || settled.verdict.kind === "done" || settled.verdict.kind === "already-present") return null;
  const { answer } = settled;
  return {
    service: "graph",
    status: answer && answer.status > 0 ? answer.status : null,
    code: answer?.code ?? "error",
    message: answer
      ? describeAnswer(answer)
      : settled.verdict.kind === "unavailable" || settled.verdict.kind === "failed"
        ? settled.verdict.reason
        : "no answer",
  };
}

/** What CIPP-SAM holds, by name, so that it can be restored by hand if ever needed. */
export function snapshotOf(live: LiveTenant): ResetSnapshot | null {
  if (live.client === null) return null;
  const bySpId = new Map([...live.resources.values()].map((resource) => [resource.servicePrincipalId, resource]));
  const refOf = (servicePrincipalId: string): ResourceRef => {
    const resource = bySpId.get(servicePrincipalId);
    return resource
      ? { appId: resource.appId, displayName: resource.displayName }
      : { appId: servicePrincipalId, displayName: `unknown resource (service principal ${servicePrincipalId})` };
  };
  return {
    servicePrincipalId: live.client.servicePrincipalId,
    appRoles: live.appRoleAssignments.map((assignment) => ({
      resource: refOf(assignment.resourceId),
      permission:
        bySpId.get(assignment.resourceId)?.appRoles.find((role) => role.id === assignment.appRoleId)?.value ?? assignment.appRoleId,
      appRoleId: assignment.appRoleId,
    })),
    grants: live.grants.map((grant) => ({
      resource: refOf(grant.resourceId),
      consentType: grant.consentType,
      principalId: grant.principalId,
      scopes: grant.scopes,
    })),
  };
}
