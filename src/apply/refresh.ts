/**
 * The refresh of one tenant: read and plan; then execute the plan's actions in order over the
 * tenant port — consent when needed and wait for CIPP-SAM to replicate; create missing resource
 * service principals; assign app roles and write delegated grants — and read back to verify.
 * Every permission's fate is recorded by name.
 */
import type { DesiredTenant } from "../desired/model";
import type { AccessProblem, LiveReading, LiveResource, LiveTenant } from "../live/model";
import { isPermanentCredentialProblem } from "../live/access";
import { missingWriteScopes } from "../plan/bootstrap";
import { inaccessiblePlan, planTenant, type PlanOptions } from "../plan/diff";
import type { BlockedItem, PlanAction, TenantPlan } from "../plan/model";
import { residualDifference, type Residual } from "../plan/residual";
import { pollUntil, withAttempts, type BackoffPolicy } from "./replication-polling";
import { executeWrites, type ExecutedAction } from "./execute-writes";
import { TenantLedger } from "./ledger";
import { operationErrorOf, problemOf } from "./operation-error";
import type { TenantResult } from "./result";
import type { TenantPort } from "../tenant/port";
import type { ResetRecords } from "./reset-record";
import type { Timing } from "./timing";

/** How a tenant's steps wait and retry; shared by refresh and reset. */
export interface StepSettings {
  readonly timing: Timing;
  /** Waiting for replication: CIPP-SAM after the consent, new resource service principals, the read-back. */
  readonly replication: BackoffPolicy;
  /** Retrying writes that refer to objects not replicated yet. */
  readonly writeRetry: BackoffPolicy;
  /** Passed to the planner (bootstrap scopes). */
  readonly planOptions: PlanOptions;
  /** Where a reset records what it removes before removing it; without it a reset keeps its snapshot in its result only. */
  readonly resetRecords?: ResetRecords;
}

/** A tenant's run: the plan as first made (for the run's plan output) and the result. */
export interface TenantRun {
  readonly plan: TenantPlan;
  readonly result: TenantResult;
}

/** Refreshes one tenant. Never throws for the tenant's own failures: they are in the result. */
export async function refreshTenant(
  desired: DesiredTenant,
  port: TenantPort,
  settings: StepSettings,
  options: { readonly forceConsent: boolean },
): Promise<TenantRun> {
  const ledger = new TenantLedger(tenantRefOf(desired), settings.timing.clock());
  const plan = await convergeTenant(ledger, desired, port, settings, { forceConsent: options.forceConsent, consentAttempts: 1 });
  return { plan, result: ledger.toResult(settings.timing.clock(), port.requestCounts()) };
}

/**
 * A refresh of a tenant managed by Terraform: planned, never written, except the Partner Center
 * consent, which Terraform cannot give and which the refresh still posts when the plan needs it.
 * The result is `skipped` (unless the consent failed), and says why and what is left to Terraform.
 */
export async function refreshTerraformManaged(
  desired: DesiredTenant,
  port: TenantPort,
  settings: StepSettings,
  options: { readonly forceConsent: boolean },
): Promise<TenantRun> {
  const ledger = new TenantLedger(tenantRefOf(desired), settings.timing.clock());
  const plan = await convergeTenant(ledger, desired, port, settings, {
    forceConsent: options.forceConsent,
    consentAttempts: 1,
    consentOnly: true,
  });
  const result = ledger.toResult(settings.timing.clock(), port.requestCounts());
  if (result.status === "failed") return { plan, result };
  const pending = plan.actions.filter((action) => action.kind !== "consent").length;
  const consent =
    result.steps.consent === "created"
      ? "posted the Partner Center consent (which Terraform cannot give) and wrote nothing else"
      : "nothing written";
  const left =
    pending === 0
      ? "its plan has no other change"
      : `${pending} ${pending === 1 ? "change" : "changes"} in its plan are left to terraform apply (cipp-cpv synth --adopt)`;
  return {
    plan,
    result: { ...result, status: "skipped", skippedReason: `managed by Terraform (${desired.source.file}): ${consent}; ${left}` },
  };
}

/** Options of the converge loop that differ between a refresh and the re-add of a reset. */
export interface ConvergeOptions {
  readonly forceConsent: boolean;
  /** Partner Center consent attempts; a reset retries harder, because the tenant is without the app. */
  readonly consentAttempts: number;
  /** Said when the consent cannot be posted, e.g. that the tenant is left without CIPP-SAM. */
  readonly consentFailureAction?: string;
  /** Stop after the consent: the tenant's permissions are Terraform's to write (managedBy: terraform). */
  readonly consentOnly?: boolean;
  /**
   * The service principal a reset removed: reads may list it for a while after its deletion, and
   * until they show CIPP-SAM under another id the consent has not replicated.
   */
  readonly replacedServicePrincipalId?: string;
}

/**
 * Brings the tenant to its declaration, recording into `ledger`. Returns the plan as first made.
 * Exported for the reset, which converges the tenant again after removing CIPP-SAM.
 *
 * Plan, then apply, as Terraform splits them: the tenant is read and planned once, and the plan's
 * actions are executed in its order — the consent; the resource service principals; the app roles
 * and grants — by the stages below. The tenant is read again only after a consent (which changes
 * what can be read and written), when a write finds the reading stale (a grant it did not show),
 * and to verify.
 */
export async function convergeTenant(
  ledger: TenantLedger,
  desired: DesiredTenant,
  port: TenantPort,
  settings: StepSettings,
  options: ConvergeOptions,
): Promise<TenantPlan> {
  const planOf = (reading: LiveReading, forceConsent = false): TenantPlan =>
    planTenant(desired, reading, { ...settings.planOptions, forceConsent });

  const first = await readOrFail(ledger, port, "Reading the tenant");
  if (first === null) return failedPlan(ledger, desired);
  const initial = planOf(first, options.forceConsent);
  if (initial.status === "inaccessible") {
    ledger.fail(initial.problem ?? { kind: "unknown", message: "The tenant cannot be read.", action: "Check the tenant's access." });
    return initial;
  }

  let reading: LiveReading = first;
  const consentPlanned = initial.actions.some((action) => action.kind === "consent");
  if (consentPlanned) {
    const consented = await consent(ledger, desired, first, port, settings, options);
    if (consented === null) return initial;
    reading = consented;
  }
  if (options.consentOnly === true) return initial;
  if (reading.kind !== "read") {
    ledger.fail({ kind: "unknown", message: "The tenant could not be read after the consent.", action: "Run the refresh again." });
    return initial;
  }
  // A consent changes what the tenant holds: the rest of the plan is made on what it left.
  const plan = consentPlanned ? planOf(reading) : initial;
  const consentAgain = plan.actions.find((action) => action.kind === "consent");
  if (consentAgain !== undefined) {
    ledger.fail({
      kind: "unknown",
      message: `The tenant still needs a consent after the Partner Center consent: ${consentAgain.reason}`,
      action: "Check the bootstrap scopes posted with the consent, then run the refresh again.",
    });
    return initial;
  }

  const execution = new Execution(ledger, port, settings, planOf);
  const resolved = await execution.createResources(plan, reading.live);
  if (resolved === null) return initial;
  const live = await execution.writePermissions(resolved.plan, resolved.live);
  if (!execution.wrote && ledger.consent !== "created") {
    // Nothing to write: the reading that planned it is the verification.
    ledger.noteBlocked(resolved.plan.blocked);
    ledger.noteAlreadyPresent(declaredPlan(desired, live, settings.planOptions));
    return initial;
  }
  const verified = await execution.verify(resolved.plan, live);
  ledger.noteAlreadyPresent(declaredPlan(desired, verified, settings.planOptions));
  return initial;
}

/** The execution of one tenant's plan after the consent: its stages, and what they learn on the way. */
class Execution {
  /** A write Graph refused for good: the read-back is not waited for. */
  private hardFailures = false;
  /** A write refused with 403: its cause may be the GDAP relationship. */
  private denied = false;
  private grantsChanged = false;
  /** Whether any write was sent. */
  wrote = false;
  /** Resources whose service principal cannot be created here, with what is blocked with them. */
  private readonly unavailable = new Map<string, BlockedItem[]>();

  constructor(
    private readonly ledger: TenantLedger,
    private readonly port: TenantPort,
    private readonly settings: StepSettings,
    private readonly planOf: (reading: LiveReading) => TenantPlan,
  ) {}

  private note(executed: readonly ExecutedAction[]): void {
    this.ledger.noteExecuted(executed);
    this.hardFailures ||= executed.some(({ verdict }) => verdict.kind === "failed");
    this.denied ||= executed.some(({ verdict, answer }) => verdict.kind === "failed" && answer?.status === 403);
  }

  /**
   * The plan's resource service principals, first: app roles and grants are resolved against them.
   * Returns the plan and tenant with the new resources in them, or null when the tenant failed.
   */
  async createResources(plan: TenantPlan, live: LiveTenant): Promise<{ plan: TenantPlan; live: LiveTenant } | null> {
    const creates = plan.actions.filter((action) => action.kind === "create-resource");
    if (creates.length === 0) return { plan, live };
    this.wrote = true;
    const executed = await executeWrites(this.port, creates, live, this.settings.timing, this.settings.writeRetry);
    this.note(executed);
    for (const { action, verdict } of executed) {
      if (verdict.kind !== "unavailable" || action.kind !== "create-resource") continue;
      const blocked = blockedWithResource(plan.actions, action.resource, verdict.reason);
      this.unavailable.set(action.resource.appId, blocked);
      this.ledger.noteBlocked(blocked);
    }
    const expected = executed
      .filter(({ verdict }) => verdict.kind === "done" || verdict.kind === "already-present")
      .map(({ action }) => (action.kind === "create-resource" ? action.resource.appId : ""));
    if (expected.length === 0) return { plan, live };
    const described = executed.map(({ created }) => created).filter((resource): resource is LiveResource => resource !== null);
    if (described.length === expected.length) {
      // Graph's answers describe every new resource: the plan is resolved on them without reading again.
      const resources = new Map(live.resources);
      for (const resource of described) resources.set(resource.appId, resource);
      const extended = { ...live, resources };
      return { plan: this.planOf({ kind: "read", live: extended }), live: extended };
    }
    const visible = await waitForRead(this.port, this.settings, (r) => expected.every((appId) => r.live.resources.has(appId)));
    if (visible !== null && !("kind" in visible && visible.kind === "read")) {
      this.ledger.fail(visible);
      return null;
    }
    if (visible === null) {
      this.ledger.fail({
        kind: "unknown",
        message: `New resource service principals (${expected.join(", ")}) did not become readable in time.`,
        action: "Run the refresh again in a few minutes: Entra ID is still replicating them.",
      });
      return null;
    }
    return { plan: this.planOf(visible), live: visible.live };
  }

  /**
   * The plan's app roles and grants. A second round only settles grants that existed although the
   * reading did not show them (409): the one case where a write sends the tenant back to be read.
   * Returns the tenant as last read.
   */
  async writePermissions(plan: TenantPlan, live: LiveTenant): Promise<LiveTenant> {
    const writable = (p: TenantPlan): PlanAction[] =>
      p.actions.filter((a) => a.kind !== "consent" && a.kind !== "create-resource" && !this.unavailable.has(a.resource.appId));
    let actions = writable(plan);
    let current = live;
    for (let round = 1; actions.length > 0 && round <= 2; round++) {
      this.wrote = true;
      const executed = await executeKeepersFirst(this.port, actions, current, this.settings);
      this.note(executed);
      this.grantsChanged ||= executed.some(({ action, verdict }) => isGrantAction(action) && verdict.kind === "done");
      const conflicted = new Set(
        executed.filter(({ verdict }) => verdict.kind === "conflict").map(({ action }) => resourceAppIdOf(action)),
      );
      if (conflicted.size === 0) break;
      this.port.renewTokens();
      const again = await readOrFail(this.ledger, this.port, "Reading the tenant's grants again");
      if (again?.kind !== "read") break;
      current = again.live;
      actions = writable(this.planOf(again)).filter((a) => isGrantAction(a) && conflicted.has(resourceAppIdOf(a)));
    }
    return current;
  }

  /**
   * Reads the tenant back until it shows the declaration (replication polling), and records what it
   * shows; a failed write or a read-back that still differs fails the tenant, with the GDAP cause of
   * a refused write when there is one. Returns the tenant as last read.
   */
  async verify(plan: TenantPlan, live: LiveTenant): Promise<LiveTenant> {
    const { ledger, port, settings } = this;
    if (this.grantsChanged) port.renewTokens();
    const residualOf = (r: LiveReading): Residual => residualDifference(this.planOf(r), this.unavailable);
    const verifyPolicy = this.hardFailures ? withAttempts(settings.replication, 1) : settings.replication;
    const verified = await pollUntil(
      async () => {
        try {
          const r = await port.read();
          return { reading: r, residual: residualOf(r) };
        } catch (error) {
          return { reading: null, residual: null, error };
        }
      },
      (v) => v.residual?.converged === true,
      verifyPolicy,
      settings.timing,
      (v) => deadCredential(v.reading) !== null,
    );
    const last = verified.done ? verified.value : verified.last;
    const readBack = last.reading !== null && last.reading.kind === "read" ? last.reading.live : live;
    ledger.verification = last.residual;
    ledger.noteBlocked(last.residual?.blocked ?? plan.blocked);
    for (const blocked of this.unavailable.values()) ledger.noteBlocked(blocked);
    if (verified.done) {
      ledger.settleByReadBack([]);
      return readBack;
    }
    const residual = last.residual;
    // A refused write in a customer tenant is most often a GDAP relationship without the roles to
    // write; say so rather than only quoting Graph's "Insufficient privileges".
    const denial = this.denied ? await explainDenial(port) : null;
    const readBackProblem =
      residual === null
        ? problemOf("Reading the tenant back", "error" in last ? last.error : "no answer", "Run the refresh again.")
        : (residual.problem ?? {
            kind: "unknown" as const,
            message: `The read-back still differs from the declaration: ${residual.actions.map(describeAction).join("; ")}.`,
            action: "See the failed permissions for Microsoft's answers; run the refresh again once their cause is fixed.",
          });
    ledger.fail(denial ?? readBackProblem);
    if (residual !== null) ledger.settleByReadBack(residual.actions);
    return readBack;
  }
}

/** Posts the consent, then waits until CIPP-SAM is readable in the tenant with the scopes it writes with. */
async function consent(
  ledger: TenantLedger,
  desired: DesiredTenant,
  before: LiveReading,
  port: TenantPort,
  settings: StepSettings,
  options: ConvergeOptions,
): Promise<LiveReading | null> {
  // Partner Center may refuse or drop a consent while a removal is still settling: a reset tries
  // again under the replication-polling policy, a refresh posts once.
  const posted = await pollUntil(
    async (): Promise<{ readonly posted: "created" | "already-exists" } | { readonly error: unknown }> => {
      try {
        return { posted: await port.addConsent() };
      } catch (error) {
        return { error };
      }
    },
    (outcome) => "posted" in outcome,
    withAttempts(settings.replication, options.consentAttempts),
    settings.timing,
  );
  if (!posted.done || !("posted" in posted.value)) {
    const lastError = posted.done || !("error" in posted.last) ? null : posted.last.error;
    ledger.consent = "failed";
    ledger.fail(
      problemOf(
        "The Partner Center consent",
        lastError,
        options.consentFailureAction ?? "Fix the cause above, then run the refresh again.",
      ),
      operationErrorOf(lastError),
    );
    return null;
  }
  ledger.consent = posted.value.posted === "created" ? "created" : "already-existed";
  // An existing consent that CIPP-SAM was already readable under is left as it is: nothing new
  // replicates, so one read with fresh tokens tells all there is to know.
  const unchanged = ledger.consent === "already-existed" && before.kind === "read" && before.live.client !== null;
  // A token issued before the consent carries the old scopes, or none.
  port.renewTokens();
  let attempts = 0;
  const ready = await pollUntil(
    async () => {
      if (attempts++ > 0) port.renewTokens();
      try {
        return await port.read();
      } catch {
        return null;
      }
    },
    (r) =>
      r !== null &&
      r.kind === "read" &&
      r.live.client !== null &&
      r.live.client.servicePrincipalId !== options.replacedServicePrincipalId &&
      missingWriteScopes(r.live.tokenScopes).length === 0,
    unchanged ? withAttempts(settings.replication, 1) : settings.replication,
    settings.timing,
    (r) => deadCredential(r) !== null,
  );
  const dead = ready.done ? null : deadCredential(ready.last);
  if (dead !== null) {
    ledger.fail({ ...dead, message: `Waiting for CIPP-SAM to become usable after the consent ended: ${dead.message}` });
    return null;
  }
  if ((!ready.done || ready.value === null) && unchanged) {
    const tenant = desired.defaultDomain;
    ledger.fail({
      kind: "consent-missing",
      message:
        `CIPP-SAM's consent exists in the tenant, but its delegated grant lacks what writing needs (${describeReading(ready.done ? ready.value : ready.last)}). ` +
        "Partner Center keeps an existing consent as it is and does not grant those scopes again.",
      action: `Consent again from scratch: cipp-cpv reset --tenant ${tenant} --confirm ${tenant} (or grant the missing scopes to CIPP-SAM in the tenant by hand).`,
    });
    return null;
  }
  if (!ready.done || ready.value === null) {
    const waited = Math.round(settings.replication.maxTotalMs / 1000);
    ledger.fail({
      kind: "consent-missing",
      message: `Partner Center accepted the consent, but CIPP-SAM did not become usable in the tenant within ${waited} s (${describeReading(ready.done ? ready.value : ready.last)}).`,
      action: options.consentFailureAction ?? "Run the refresh again in a few minutes: Entra ID may still be replicating the consent.",
    });
    return null;
  }
  return ready.value;
}

/** Reads until `accept` holds for a successful reading; null when time runs out. */
async function waitForRead(
  port: TenantPort,
  settings: StepSettings,
  accept: (reading: Extract<LiveReading, { kind: "read" }>) => boolean,
): Promise<Extract<LiveReading, { kind: "read" }> | AccessProblem | null> {
  const outcome = await pollUntil(
    async () => {
      try {
        return await port.read();
      } catch {
        return null;
      }
    },
    (r) => r !== null && r.kind === "read" && accept(r),
    settings.replication,
    settings.timing,
    (r) => deadCredential(r) !== null,
  );
  if (!outcome.done) return deadCredential(outcome.last);
  return outcome.value !== null && outcome.value.kind === "read" ? outcome.value : null;
}

/** The problem of a reading refused for a credential no wait can cure, or null. */
function deadCredential(reading: LiveReading | null): AccessProblem | null {
  return reading !== null && reading.kind === "inaccessible" && isPermanentCredentialProblem(reading.problem) ? reading.problem : null;
}

async function readOrFail(ledger: TenantLedger, port: TenantPort, what: string): Promise<LiveReading | null> {
  try {
    return await port.read();
  } catch (error) {
    ledger.fail(problemOf(what, error, "Run the refresh again; if it keeps failing, check the error above."), operationErrorOf(error));
    return null;
  }
}

function failedPlan(ledger: TenantLedger, desired: DesiredTenant): TenantPlan {
  const problem = ledger.failure ?? { kind: "unknown", message: "The tenant could not be read.", action: "Run the refresh again." };
  return inaccessiblePlan(tenantRefOf(desired), problem);
}

/**
 * Every declared permission the tenant's resources publish, by name: the plan of the tenant as if
 * CIPP-SAM held nothing. Its additions are what the declaration asks for.
 */
function declaredPlan(desired: DesiredTenant, live: LiveTenant, planOptions: PlanOptions): TenantPlan {
  const empty: LiveTenant = { ...live, appRoleAssignments: [], grants: [] };
  return planTenant({ ...desired, extras: { appRoles: "keep", scopes: "keep" } }, { kind: "read", live: empty }, planOptions);
}

/** A resource whose service principal cannot be created, and with it every permission planned on it. */
function blockedWithResource(actions: readonly PlanAction[], resource: BlockedItem["resource"], reason: string): BlockedItem[] {
  const detail = `${resource.displayName} cannot be added to this tenant: ${reason}`;
  const items: BlockedItem[] = [{ resource, permission: null, type: "resource", reason: "resource-unavailable", detail }];
  for (const action of actions) {
    if (action.kind === "consent" || action.resource.appId !== resource.appId) continue;
    if (action.kind === "add-app-role")
      items.push({ resource, permission: action.permission, type: "appRole", reason: "resource-unavailable", detail });
    if (action.kind === "create-grant") {
      for (const scope of action.scopes) items.push({ resource, permission: scope, type: "scope", reason: "resource-unavailable", detail });
    }
  }
  return items;
}

/** The GDAP cause of a refused write, or null when there is none or it cannot be checked. */
async function explainDenial(port: TenantPort): Promise<AccessProblem | null> {
  try {
    return await port.explainDenial();
  } catch {
    return null;
  }
}

/**
 * Writes `actions`, deleting duplicate grants only after the grant kept for their resource has
 * been written: under the keep policy the kept grant takes over the duplicate's scopes, so
 * deleting the duplicate while that write fails would lose them.
 */
async function executeKeepersFirst(
  port: TenantPort,
  actions: readonly PlanAction[],
  live: LiveTenant,
  settings: StepSettings,
): Promise<ExecutedAction[]> {
  const isDuplicateDelete = (action: PlanAction): boolean => action.kind === "delete-duplicate-grant";
  const deletes = actions.filter(isDuplicateDelete);
  const first = await executeWrites(
    port,
    actions.filter((action) => !isDuplicateDelete(action)),
    live,
    settings.timing,
    settings.writeRetry,
  );
  if (deletes.length === 0) return first;
  const unwritten = new Set(
    first
      .filter(({ action, verdict }) => isGrantAction(action) && verdict.kind !== "done" && verdict.kind !== "already-present")
      .map(({ action }) => resourceAppIdOf(action)),
  );
  const held: ExecutedAction[] = deletes
    .filter((action) => unwritten.has(resourceAppIdOf(action)))
    .map((action) => ({
      action,
      verdict: {
        kind: "failed",
        reason: "not deleted: the grant kept for this resource, which takes over its scopes, could not be written first",
      },
      answer: null,
      created: null,
    }));
  const safe = deletes.filter((action) => !unwritten.has(resourceAppIdOf(action)));
  return [...first, ...(await executeWrites(port, safe, live, settings.timing, settings.writeRetry)), ...held];
}

function isGrantAction(action: PlanAction): boolean {
  return action.kind === "create-grant" || action.kind === "update-grant" || action.kind === "delete-duplicate-grant";
}

function resourceAppIdOf(action: PlanAction): string {
  return action.kind === "consent" ? "" : action.resource.appId;
}

function describeAction(action: PlanAction): string {
  switch (action.kind) {
    case "consent":
      return `consent (${action.reason})`;
    case "create-resource":
      return `create ${action.resource.displayName}`;
    case "add-app-role":
      return `add app role ${action.permission} on ${action.resource.displayName}`;
    case "remove-app-role":
      return `remove app role ${action.permission} on ${action.resource.displayName}`;
    case "create-grant":
      return `grant ${action.scopes.join(" ")} on ${action.resource.displayName}`;
    case "update-grant":
      return `update the grant on ${action.resource.displayName} (+${action.add.join(" +")} -${action.remove.join(" -")})`;
    case "delete-duplicate-grant":
      return `delete duplicate grant ${action.grantId} on ${action.resource.displayName}`;
  }
}

function describeReading(reading: LiveReading | null): string {
  if (reading === null) return "the last read failed";
  if (reading.kind !== "read") return reading.problem.message;
  if (reading.live.client === null) return "its service principal is not readable yet";
  const missing = missingWriteScopes(reading.live.tokenScopes);
  return missing.length > 0 ? `the delegated token still lacks ${missing.join(", ")}` : "ready";
}

export function tenantRefOf(desired: DesiredTenant): TenantPlan["tenant"] {
  return { tenantId: desired.tenantId, defaultDomain: desired.defaultDomain, displayName: desired.displayName };
}
