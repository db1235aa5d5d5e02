/**
 * The engine: loads the declarations, picks the tenants, and plans, refreshes or resets them,
 * all tenants through one scheduler, one set of Microsoft clients, one token cache and one set of
 * write budgets. Knows nothing of GitHub or of the command line.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import {
  createMicrosoftClients,
  WriteBudget,
  GRAPH_WRITE_LIMITS,
  type Environment,
  type MicrosoftClients,
  type SecretRedactor,
} from "../cloud";
import type { TokenError } from "../cloud/tokens";
import { CLOUDS, type CloudEndpoints, type CloudName } from "../cloud/endpoints";
import { affectedTenants, baseFilesOf, deletedTenantFiles } from "../desired/affected";
import { loadFleet, localFiles, repositoryFiles, SETTINGS_FILE, type DeclarationFiles } from "../desired/load";
import { managedByOf, type DesiredTenant, type Fleet, type SourceLocation } from "../desired/model";
import { tokenProblem } from "../live/access";
import type { AccessProblem } from "../live/model";
import { selectTenants } from "../desired/select";
import { DEFAULT_BOOTSTRAP_SCOPES } from "../plan/bootstrap";
import { inaccessiblePlan, planTenant } from "../plan/diff";
import type { FleetPlan, TenantPlan, TenantRef } from "../plan/model";
import type { FleetPlanSummary } from "../plan/summary";
import { REPLICATION_WAIT, WRITE_LAG_RETRY } from "../apply/replication-polling";
import { cloudTenantPort } from "../tenant/cloud-port";
import { operationErrorOf, problemOf } from "../apply/operation-error";
import { refreshTenant, refreshTerraformManaged, tenantRefOf, type StepSettings, type TenantRun } from "../apply/refresh";
import { resetTenant } from "../apply/reset";
import { DEFAULT_RESET_RECORDS, ResetRecords, type UnfinishedReset } from "../apply/reset-record";
import { RESULT_SCHEMA_VERSION, runResultOf, type RunResult, type TenantResult } from "../apply/result";
import type { RunRequest } from "./run-request";
import { RunRefusedError, checkResetConfirmation } from "./run-refusal";
import { PlanTotals, ResultTotals, planSummaryOf, resultSummaryOf, type RunSink, type TenantSummary } from "./fleet-stream";
import { runJobsInOrder } from "./scheduler";
import type { TenantPort } from "../tenant/port";
import { timingOf, type Timing } from "../apply/timing";

/** What the engine hands back to a delivery surface. */
export interface RunOutcome {
  /**
   * Plan mode: 0 nothing to change, 2 changes pending, 1 a tenant could not be planned (like
   * `terraform plan -detailed-exitcode`). Refresh and reset: 1 if any tenant failed, else 0.
   */
  readonly exitCode: 0 | 1 | 2;
  /** The plan of every tenant covered, as read before any change. */
  readonly plan: FleetPlan;
  /** What the refresh or reset did; null in plan mode. */
  readonly result: RunResult | null;
  /** The refresh token Entra ID rotated in during the run, to persist; null when it did not change. */
  readonly rotatedRefreshToken: string | null;
  /**
   * Set when Entra ID refused a credential every tenant shares (CIPP-SAM's secret, certificate or
   * federated credential, the application id, the service account's refresh token): the run
   * stopped there, and the tenants not yet attempted are in `notAttempted`, in neither plan nor result.
   */
  readonly stopped: RunStop | null;
  /** Where each covered tenant is declared, by tenant id, for annotations on its file. */
  readonly sources: ReadonlyMap<string, SourceLocation>;
  /**
   * Reset records: those this run wrote (what CIPP-SAM held, before it was removed), and those of
   * earlier resets of the covered tenants that never finished (found before this run started).
   */
  readonly resetRecords: { readonly written: readonly string[]; readonly unfinished: readonly UnfinishedReset[] };
}

/**
 * What a streamed run hands back once every tenant went through the sink: the same verdict as
 * {@link RunOutcome}, with a summary per tenant instead of its detail.
 */
export interface StreamedOutcome extends Omit<RunOutcome, "plan" | "result"> {
  readonly plan: Pick<FleetPlan, "changedFiles" | "deletedTenantFiles"> & { readonly summary: FleetPlanSummary };
  /** What the refresh or reset did, in totals; null in plan mode. */
  readonly result: Omit<RunResult, "tenants"> | null;
  /** Every tenant the sink received, in its order, as counts. */
  readonly tenants: readonly TenantSummary[];
}

/** Why a run stopped before every tenant was attempted. */
export interface RunStop {
  /** The tenant whose sign-in was refused. */
  readonly tenant: TenantRef;
  readonly problem: AccessProblem;
  readonly notAttempted: readonly TenantRef[];
}

/** Where time, chance and the network come from; tests replace them. */
/**
 * What a run takes from outside: time, chance and the network (the one Environment of src/cloud;
 * a `dispatcher` replaces `caCertificates`), and the run's one redactor.
 */
export interface EngineDeps extends Partial<Environment> {
  /** How long a request may go unanswered before it is abandoned and retried, in ms. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** The redactor the caller's output passes through: secrets the clients learn (rotated tokens) are masked there too. */
  readonly redactor?: SecretRedactor;
}

export { RunRefusedError } from "./run-refusal";

const DEFAULT_CONCURRENCY = 10;

/** Finished tenants that may wait for a slower earlier one before no further tenant starts. */
const WINDOW_PER_WORKER = 10;

/**
 * Runs a plan, refresh or reset. Tenant failures are in the outcome (exit code 1), never thrown.
 * @throws RunRefusedError when the request itself is wrong (a reset without the matching
 *   confirmation, a sandbox run without endpoints); DeclarationError / TenantSelectionError when
 *   the declarations are invalid or name no such tenant. Nothing is sent in those cases.
 */
export async function runEngine(request: RunRequest, deps: EngineDeps = {}): Promise<RunOutcome> {
  const plans: TenantPlan[] = [];
  const results: TenantResult[] = [];
  const streamed = await streamEngine(
    request,
    {
      planned: (plan) => void plans.push(plan),
      ran: (result, plan) => {
        results.push(result);
        if (plan !== null) plans.push(plan);
      },
    },
    deps,
  );
  const { changedFiles, deletedTenantFiles } = streamed.plan;
  const plan: FleetPlan = {
    tenants: plans,
    ...(changedFiles !== undefined ? { changedFiles } : {}),
    ...(deletedTenantFiles !== undefined ? { deletedTenantFiles } : {}),
  };
  const ran = streamed.result;
  // The per-tenant summaries stay behind: the full plans and results replace them.
  return {
    exitCode: streamed.exitCode,
    rotatedRefreshToken: streamed.rotatedRefreshToken,
    stopped: streamed.stopped,
    sources: streamed.sources,
    resetRecords: streamed.resetRecords,
    plan,
    result: ran === null ? null : runResultOf(ran.mode, ran.startedAt, ran.finishedAt, results),
  };
}

/**
 * Runs a plan, refresh or reset as {@link runEngine} does, handing each tenant to `sink` in
 * declaration order as soon as it and the tenants before it are done, and keeping nothing of it
 * but its summary: memory stays flat whatever the fleet's size.
 */
export async function streamEngine(request: RunRequest, sink: RunSink, deps: EngineDeps = {}): Promise<StreamedOutcome> {
  const timing = timingOf(deps);
  if (request.mode === "reset") checkResetConfirmation(request);
  const files = request.allowOutsideRepository === true ? localFiles : repositoryFiles(request.stacksDir);
  const fleet = loadFleet(request.stacksDir, files);
  if (fleet.tenants.length === 0 && request.allowEmpty !== true) refuseEmptyFleet(request.stacksDir);
  const changedFiles = request.tenant === undefined ? request.changedFiles : undefined;
  const tenantIds =
    request.tenant === undefined && changedFiles === undefined && request.tenantIds !== undefined ? new Set(request.tenantIds) : undefined;
  const selected =
    tenantIds !== undefined
      ? fleet.tenants.filter((tenant) => !tenant.excluded && tenantIds.has(tenant.tenantId))
      : changedFiles === undefined
        ? selectTenants(fleet, request.tenant)
        : tenantsChangedBy(fleet, request.stacksDir, changedFiles, files);
  if (request.mode === "reset") refusePartnerReset(selected);
  const skipped =
    request.tenant === undefined && changedFiles === undefined && tenantIds === undefined
      ? fleet.tenants.filter((tenant) => tenant.excluded)
      : [];
  const coverage = changedFiles === undefined ? {} : { changedFiles: changedFiles.length, ...deletedIn(request.stacksDir, changedFiles) };
  const endpoints = endpointsFor(request, fleet);

  const writeBudget = new WriteBudget(GRAPH_WRITE_LIMITS, timing.clock, timing.sleep);
  const clients = microsoftClientsFor(endpoints, request, fleet, deps, timing, writeBudget);
  const portFor = (tenant: DesiredTenant): TenantPort =>
    cloudTenantPort(tenant, { clients, settings: fleet.settings, bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES });
  const records = new ResetRecords(request.resetRecords ?? DEFAULT_RESET_RECORDS);
  const unfinished = records.unfinished(new Set(selected.map((tenant) => tenant.tenantId)));
  const recordsOf = (): RunOutcome["resetRecords"] => ({ written: [...records.written], unfinished });
  const steps: StepSettings = {
    timing,
    replication: REPLICATION_WAIT,
    writeRetry: WRITE_LAG_RETRY,
    planOptions: { bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES },
    resetRecords: records,
  };

  const startedAt = new Date(timing.clock()).toISOString();
  const rotated = (): string | null => rotatedToken(clients, request.refreshToken);
  const sources = new Map(selected.map((tenant) => [tenant.tenantId, tenant.source]));
  const guard = new CredentialGuard(clients);
  const consentFor = new Set((request.consentFor ?? []).map((id) => id.toLowerCase()));
  const forceConsent = (tenant: DesiredTenant): boolean => request.forceConsent === true || consentFor.has(tenant.tenantId);
  const byDomain = new Map(selected.map((tenant) => [tenant.defaultDomain, tenant]));
  const tenantByKey = (key: string): DesiredTenant => byDomain.get(key) as DesiredTenant;
  const summaries: TenantSummary[] = [];
  const notAttempted = new Set<number>();
  const planTotals = new PlanTotals();
  const ordered = {
    concurrency: request.concurrency ?? DEFAULT_CONCURRENCY,
    window: (request.concurrency ?? DEFAULT_CONCURRENCY) * WINDOW_PER_WORKER,
    now: timing.clock,
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  };
  sink.begin?.({ mode: request.mode, startedAt, tenants: selected.length, coverage });
  // A finished tenant's tokens are of no further use; a fleet's worth of them would only pile up.
  const released =
    <T>(tenant: DesiredTenant, job: () => Promise<T>) =>
    async (): Promise<T> => {
      try {
        return await job();
      } finally {
        clients.tokens.release(tenant.tenantId);
      }
    };

  if (request.mode === "plan") {
    await runJobsInOrder(
      selected.map((tenant) => ({
        key: tenant.defaultDomain,
        run: released(tenant, () => guard.run(tenant, () => planOne(tenant, portFor(tenant), forceConsent(tenant)))),
      })),
      {
        ...ordered,
        onCrash: (key, error) => unreadablePlan(tenantByKey(key), error),
        describe: (plan) =>
          plan === NOT_ATTEMPTED
            ? { failed: false, outcome: "not attempted" }
            : { failed: plan.status === "inaccessible", outcome: plan.status },
        deliver: (plan, index) => {
          if (plan === NOT_ATTEMPTED) return void notAttempted.add(index);
          planTotals.add(plan);
          summaries.push(planSummaryOf(plan));
          sink.planned?.(plan);
        },
      },
    );
    const stopped = guard.stop(selected, notAttempted);
    const summary = planTotals.summary();
    const exitCode = stopped !== null || summary.inaccessible > 0 ? 1 : summary.toChange > 0 ? 2 : 0;
    return {
      exitCode,
      plan: { summary, ...coverage },
      result: null,
      tenants: summaries,
      rotatedRefreshToken: rotated(),
      stopped,
      sources,
      resetRecords: recordsOf(),
    };
  }

  const runOne = (tenant: DesiredTenant): Promise<TenantRun> =>
    request.mode === "reset"
      ? resetTenant(tenant, portFor(tenant), steps)
      : managedByOf(tenant) === "terraform"
        ? refreshTerraformManaged(tenant, portFor(tenant), steps, { forceConsent: forceConsent(tenant) })
        : refreshTenant(tenant, portFor(tenant), steps, { forceConsent: forceConsent(tenant) });
  const resultTotals = new ResultTotals();
  const ran = (result: TenantResult, plan: TenantPlan | null): void => {
    if (plan !== null) planTotals.add(plan);
    resultTotals.add(result);
    summaries.push(resultSummaryOf(result, plan));
    sink.ran?.(result, plan);
  };
  await runJobsInOrder(
    selected.map((tenant) => ({
      key: tenant.defaultDomain,
      run: released(tenant, () => guard.run(tenant, () => runOne(tenant), wroteAnything)),
    })),
    {
      ...ordered,
      onCrash: (key, error) => crashedRun(tenantByKey(key), error),
      describe: (run) =>
        run === NOT_ATTEMPTED
          ? { failed: false, outcome: "not attempted" }
          : { failed: run.result.status === "failed", outcome: run.result.status },
      deliver: (run, index) => (run === NOT_ATTEMPTED ? void notAttempted.add(index) : ran(run.result, run.plan)),
    },
  );
  for (const tenant of skipped) ran(skippedResult(tenant), null);
  const stopped = guard.stop(selected, notAttempted);
  const finishedAt = new Date(timing.clock()).toISOString();
  const result: Omit<RunResult, "tenants"> = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    mode: request.mode,
    startedAt,
    finishedAt,
    totals: resultTotals.summary(),
    exitCode: resultTotals.exitCode(),
  };
  return {
    exitCode: stopped !== null ? 1 : result.exitCode,
    plan: { summary: planTotals.summary(), ...coverage },
    result,
    tenants: summaries,
    rotatedRefreshToken: rotated(),
    stopped,
    sources,
    resetRecords: recordsOf(),
  };
}

/** A tenant the run did not attempt, because a credential every tenant shares was refused first. */
const NOT_ATTEMPTED = Symbol("not attempted");

/**
 * Stops the run at the first refusal of a credential every tenant shares. The token provider sends
 * the first sign-ins one at a time and sends nothing after such a refusal; this keeps the tenants
 * that never got a sign-in of their own out of the reports, and names the one that did.
 */
class CredentialGuard {
  /** Which tenant's job is running, so that the refusal is pinned on the tenant whose request it was. */
  private readonly job = new AsyncLocalStorage<string>();
  private refusedIn: string | null = null;

  constructor(private readonly clients: MicrosoftClients) {
    clients.tokens.onRefusal = () => {
      this.refusedIn ??= this.job.getStore() ?? null;
    };
  }

  /**
   * Runs a tenant's job, unless the credential was already refused: then it is not attempted. A
   * job the refusal cut short counts as not attempted too, unless it changed something in the
   * tenant (`changed`), which the report must then show.
   */
  async run<T>(
    tenant: DesiredTenant,
    job: () => Promise<T>,
    changed: (outcome: T) => boolean = () => false,
  ): Promise<T | typeof NOT_ATTEMPTED> {
    if (this.clients.tokens.credentialRefusal() !== null) return NOT_ATTEMPTED;
    const outcome = await this.job.run(tenant.tenantId, job);
    const cutShort = this.clients.tokens.credentialRefusal() !== null && this.refusedIn !== tenant.tenantId;
    return cutShort && !changed(outcome) ? NOT_ATTEMPTED : outcome;
  }

  /** The stop, when there was one; `notAttempted` holds the indexes in `selected` of the tenants not attempted. */
  stop(selected: readonly DesiredTenant[], notAttempted: ReadonlySet<number>): RunStop | null {
    const refusal: TokenError | null = this.clients.tokens.credentialRefusal();
    if (refusal === null) return null;
    const cause =
      selected.find((tenant) => tenant.tenantId === this.refusedIn) ?? selected.find((tenant) => tenant.tenantId === refusal.tenantId);
    return {
      tenant: tenantRefOf(cause ?? (selected[0] as DesiredTenant)),
      problem: tokenProblem(refusal),
      notAttempted: selected.filter((_, index) => notAttempted.has(index)).map(tenantRefOf),
    };
  }
}

/** Whether a tenant's run changed anything in it: a consent posted, a permission applied or removed, a reset. */
function wroteAnything(run: TenantRun): boolean {
  const { result } = run;
  return (
    result.steps.consent === "created" ||
    result.steps.reset?.removed === true ||
    result.permissions.some((item) => item.outcome === "applied" || item.outcome === "removed")
  );
}

/** No tenant file at all is far more likely a wrong folder or a bad merge than a fleet of none. */
function refuseEmptyFleet(stacksDir: string): never {
  const folder = join(stacksDir, "tenants");
  throw new RunRefusedError(
    `${folder} holds no tenant declarations (*.yaml), so this run would manage nothing. Check the stacks folder ` +
      `(${stacksDir}); to run with no tenants on purpose, pass --allow-empty (Action input allow-empty: true).`,
  );
}

/** The tenants whose declarations the changed files touch, the settings' base manifests included. */
function tenantsChangedBy(fleet: Fleet, stacksDir: string, changedFiles: readonly string[], files: DeclarationFiles): DesiredTenant[] {
  const settingsFile = join(stacksDir, SETTINGS_FILE);
  const baseFiles = baseFilesOf(settingsFile, files.read(settingsFile) ?? "");
  return affectedTenants(fleet, stacksDir, changedFiles, { baseFiles });
}

/** The tenant files the change deleted, as the repository names them (the stacks folder's parent is its root). */
function deletedIn(stacksDir: string, changedFiles: readonly string[]): Pick<FleetPlan, "deletedTenantFiles"> {
  const deleted = deletedTenantFiles(stacksDir, changedFiles, (file) => existsSync(file));
  return deleted.length === 0 ? {} : { deletedTenantFiles: deleted.map((file) => relative(dirname(stacksDir), file).split(sep).join("/")) };
}

/**
 * A tenant managed by Terraform: Terraform owns its assignments and grants, so a reset would pull
 * them from under its state. The partner's own tenant: Partner Center cannot consent an
 * application there, so a reset could remove CIPP-SAM with no way to add it back.
 */
function refusePartnerReset(selected: readonly DesiredTenant[]): void {
  const terraform = selected.find((tenant) => managedByOf(tenant) === "terraform");
  if (terraform !== undefined) {
    throw new RunRefusedError(
      `Reset refused: ${terraform.defaultDomain} is managed by Terraform (${terraform.source.file}), which owns its app role assignments and grants; ` +
        "a reset would remove them behind Terraform's back. Change its managedBy to cipp-cpv first, or reset it with Terraform; nothing was sent.",
    );
  }
  const partner = selected.find((tenant) => tenant.isPartner);
  if (partner === undefined) return;
  throw new RunRefusedError(
    `Reset refused: ${partner.defaultDomain} is the partner tenant, where Partner Center cannot consent CIPP-SAM again. ` +
      "Manage CIPP-SAM's permissions there in the Entra admin center (App registrations → CIPP-SAM → API permissions); nothing was sent.",
  );
}

/**
 * CIPP-SAM's Microsoft clients for one run over `fleet`: one token cache, the run's clock, chance,
 * timeouts and network, and its write budget when it writes. The engine, the fleet read and
 * discovery all build them here, so that a test's clock and network reach every one.
 */
export function microsoftClientsFor(
  endpoints: CloudEndpoints,
  request: Pick<RunRequest, "caCertificates" | "credential" | "refreshToken">,
  fleet: Fleet,
  deps: EngineDeps,
  timing: Timing,
  writeBudget?: WriteBudget,
): MicrosoftClients {
  return createMicrosoftClients({
    endpoints,
    credentials: request.credential,
    partnerTenantId: fleet.settings.partnerTenantId,
    applicationId: fleet.settings.applicationId,
    refreshToken: request.refreshToken,
    ...(request.caCertificates ? { caCertificates: request.caCertificates } : {}),
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    ...(deps.requestTimeoutMs !== undefined ? { timeoutMs: deps.requestTimeoutMs } : {}),
    ...(deps.timer ? { timer: deps.timer } : {}),
    ...(deps.redactor ? { redactor: deps.redactor } : {}),
    clock: timing.clock,
    sleep: timing.sleep,
    random: timing.random,
    ...(writeBudget ? { writeBudget } : {}),
  });
}

export function endpointsFor(request: Pick<RunRequest, "endpoints">, fleet: Fleet): CloudEndpoints {
  if (request.endpoints) return request.endpoints;
  const cloud = fleet.settings.cloud;
  if (cloud in CLOUDS) return CLOUDS[cloud as CloudName];
  throw new RunRefusedError(
    `cloud "${cloud}" in cipp-cpv.yaml has no built-in endpoints` +
      (cloud === "sandbox" ? ": the sandbox is the local emulator; run the demo, or pass its endpoints." : "."),
  );
}

async function planOne(tenant: DesiredTenant, port: TenantPort, forceConsent: boolean): Promise<TenantPlan> {
  try {
    return planTenant(tenant, await port.read(), { bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES, forceConsent });
  } catch (error) {
    return unreadablePlan(tenant, error);
  }
}

function unreadablePlan(tenant: DesiredTenant, error: unknown): TenantPlan {
  return inaccessiblePlan(
    tenantRefOf(tenant),
    problemOf("Reading the tenant", error, "Run again; if it keeps failing, check the error above."),
  );
}

/** A tenant whose run threw: failed, with the error, and nothing claimed about its permissions. */
function crashedRun(tenant: DesiredTenant, error: unknown): TenantRun {
  const plan = unreadablePlan(tenant, error);
  return {
    plan,
    result: {
      tenant: plan.tenant,
      status: "failed",
      problem: plan.problem,
      skippedReason: null,
      steps: { consent: "not-needed", reset: null },
      permissions: [],
      verification: null,
      error: operationErrorOf(error),
      durationMs: 0,
      requests: { graph: 0, partnerCenter: 0, token: 0, throttled: 0 },
    },
  };
}

function skippedResult(tenant: DesiredTenant): TenantResult {
  return {
    tenant: tenantRefOf(tenant),
    status: "skipped",
    problem: null,
    skippedReason: `excluded in ${tenant.source.file}`,
    steps: { consent: "not-needed", reset: null },
    permissions: [],
    verification: null,
    error: null,
    durationMs: 0,
    requests: { graph: 0, partnerCenter: 0, token: 0, throttled: 0 },
  };
}

function rotatedToken(clients: MicrosoftClients, given: string): string | null {
  const current = clients.tokens.currentRefreshToken();
  return current !== given ? current : null;
}
