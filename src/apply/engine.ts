/**
 * The engine: loads the declarations, picks the tenants, and plans, refreshes or resets them,
 * all tenants through one scheduler, one set of Microsoft clients, one token cache and one set of
 * write budgets. Knows nothing of GitHub or of the command line.
 */
import { join } from "node:path";
import type { Dispatcher } from "undici";
import { createMicrosoftClients, WriteBudget, GRAPH_WRITE_LIMITS, type MicrosoftClients } from "../cloud";
import { CLOUDS, type CloudEndpoints, type CloudName } from "../cloud/endpoints";
import { affectedTenants, baseFilesOf } from "../desired/affected";
import { loadFleet, localFiles, SETTINGS_FILE } from "../desired/load";
import type { DesiredTenant, Fleet } from "../desired/model";
import { selectTenants } from "../desired/select";
import { DEFAULT_BOOTSTRAP_SCOPES } from "../plan/bootstrap";
import { inaccessiblePlan, planTenant } from "../plan/diff";
import type { FleetPlan, TenantPlan } from "../plan/model";
import { REPLICATION_WAIT } from "./backoff";
import { cloudTenantPort } from "./cloud-port";
import { WRITE_LAG_RETRY } from "./execute-writes";
import { operationErrorOf, problemOf } from "./operation-error";
import { refreshTenant, tenantRefOf, type StepSettings, type TenantRun } from "./refresh";
import { resetTenant } from "./reset";
import { runResultOf, type RunResult, type TenantResult } from "./result";
import type { RunRequest } from "./run-request";
import { runJobs } from "./scheduler";
import type { TenantPort } from "./tenant-port";
import { timingWith } from "./timing";

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
}

/** Where time, chance and the network come from; tests replace them. */
export interface EngineDeps {
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Carries every request (token endpoint, Graph, Partner Center); replaces `caCertificates`. */
  readonly dispatcher?: Dispatcher;
}

/** The request cannot be run as asked; nothing was sent to Microsoft. */
export class RunRefusedError extends Error {
  override readonly name = "RunRefusedError";
}

const DEFAULT_CONCURRENCY = 10;

/**
 * Runs a plan, refresh or reset. Tenant failures are in the outcome (exit code 1), never thrown.
 * @throws RunRefusedError when the request itself is wrong (a reset without the matching
 *   confirmation, a sandbox run without endpoints); DeclarationError / TenantSelectionError when
 *   the declarations are invalid or name no such tenant. Nothing is sent in those cases.
 */
export async function runEngine(request: RunRequest, deps: EngineDeps = {}): Promise<RunOutcome> {
  const timing = timingWith({
    ...(deps.clock ? { now: deps.clock } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  if (request.mode === "reset") checkResetConfirmation(request);
  const fleet = loadFleet(request.stacksDir);
  const changedFiles = request.tenant === undefined ? request.changedFiles : undefined;
  const tenantIds = request.tenant === undefined && changedFiles === undefined ? request.tenantIds : undefined;
  const selected =
    tenantIds !== undefined
      ? fleet.tenants.filter((tenant) => !tenant.excluded && tenantIds.includes(tenant.tenantId))
      : changedFiles === undefined
        ? selectTenants(fleet, request.tenant)
        : tenantsChangedBy(fleet, request.stacksDir, changedFiles);
  if (request.mode === "reset") refusePartnerReset(selected);
  const skipped = request.tenant === undefined && changedFiles === undefined && tenantIds === undefined ? fleet.tenants.filter((tenant) => tenant.excluded) : [];
  const coverage = changedFiles === undefined ? {} : { changedFiles: changedFiles.length };
  const endpoints = endpointsFor(request, fleet);

  const writeBudget = new WriteBudget(GRAPH_WRITE_LIMITS, timing.now, timing.sleep);
  const clients = createMicrosoftClients({
    endpoints,
    credentials: request.credential,
    partnerTenantId: fleet.settings.partnerTenantId,
    applicationId: fleet.settings.applicationId,
    refreshToken: request.refreshToken,
    ...(request.caCertificates ? { caCertificates: request.caCertificates } : {}),
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    clock: timing.now,
    sleep: timing.sleep,
    random: timing.random,
    writeBudget,
  });
  const portFor = (tenant: DesiredTenant): TenantPort =>
    cloudTenantPort(tenant, { clients, settings: fleet.settings, bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES, writeBudget });
  const steps: StepSettings = {
    timing,
    replication: REPLICATION_WAIT,
    writeRetry: WRITE_LAG_RETRY,
    planOptions: { bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES },
  };

  const startedAt = new Date(timing.now()).toISOString();
  const rotated = (): string | null => rotatedToken(clients, request.refreshToken);

  if (request.mode === "plan") {
    const plans = await runJobs(
      selected.map((tenant) => ({ key: tenant.defaultDomain, run: () => planOne(tenant, portFor(tenant), request.forceConsent === true) })),
      {
        concurrency: request.concurrency ?? DEFAULT_CONCURRENCY,
        now: timing.now,
        onCrash: (key, error) => crashedPlan(selected, key, error),
        describe: (plan) => ({ failed: plan.status === "inaccessible", outcome: plan.status }),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      },
    );
    const exitCode = plans.some((p) => p.status === "inaccessible") ? 1 : plans.some((p) => p.status === "changes") ? 2 : 0;
    return { exitCode, plan: { tenants: plans, ...coverage }, result: null, rotatedRefreshToken: rotated() };
  }

  const runOne = (tenant: DesiredTenant): Promise<TenantRun> =>
    request.mode === "reset"
      ? resetTenant(tenant, portFor(tenant), steps)
      : refreshTenant(tenant, portFor(tenant), steps, { forceConsent: request.forceConsent === true });
  const runs = await runJobs(
    selected.map((tenant) => ({ key: tenant.defaultDomain, run: () => runOne(tenant) })),
    {
      concurrency: request.concurrency ?? DEFAULT_CONCURRENCY,
      now: timing.now,
      onCrash: (key, error) => crashedRun(selected, key, error),
      describe: (run) => ({ failed: run.result.status === "failed", outcome: run.result.status }),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    },
  );
  const tenants: TenantResult[] = [...runs.map((run) => run.result), ...skipped.map(skippedResult)];
  const result = runResultOf(request.mode, startedAt, new Date(timing.now()).toISOString(), tenants);
  return { exitCode: result.exitCode, plan: { tenants: runs.map((run) => run.plan), ...coverage }, result, rotatedRefreshToken: rotated() };
}

/** The tenants whose declarations the changed files touch, the settings' base manifests included. */
function tenantsChangedBy(fleet: Fleet, stacksDir: string, changedFiles: readonly string[]): DesiredTenant[] {
  const settingsFile = join(stacksDir, SETTINGS_FILE);
  const baseFiles = baseFilesOf(settingsFile, localFiles.read(settingsFile) ?? "");
  return affectedTenants(fleet, stacksDir, changedFiles, { baseFiles });
}

/** A reset names one tenant and repeats it in `confirm`: it removes CIPP-SAM from that tenant. */
function checkResetConfirmation(request: RunRequest): void {
  if (request.tenant === undefined || request.tenant.trim() === "") {
    throw new RunRefusedError("A reset needs one tenant (its id or default domain); it removes CIPP-SAM from that tenant and adds it back.");
  }
  if (request.confirm !== request.tenant) {
    throw new RunRefusedError(
      `Reset refused: confirm must repeat the tenant exactly ("${request.tenant}")` +
        (request.confirm === undefined ? ", and it was not given" : `, but it was "${request.confirm}"`) +
        ". A reset removes CIPP-SAM with all its permissions from the tenant before adding it back; nothing was sent.",
    );
  }
}

/**
 * Partner Center cannot consent an application in the partner's own tenant, so a reset there
 * could remove CIPP-SAM with no way to add it back.
 */
function refusePartnerReset(selected: readonly DesiredTenant[]): void {
  const partner = selected.find((tenant) => tenant.isPartner);
  if (partner === undefined) return;
  throw new RunRefusedError(
    `Reset refused: ${partner.defaultDomain} is the partner tenant, where Partner Center cannot consent CIPP-SAM again. ` +
      "Manage CIPP-SAM's permissions there in the Entra admin center (App registrations → CIPP-SAM → API permissions); nothing was sent.",
  );
}

function endpointsFor(request: RunRequest, fleet: Fleet): CloudEndpoints {
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
  return inaccessiblePlan(tenantRefOf(tenant), problemOf("Reading the tenant", error, "Run again; if it keeps failing, check the error above."));
}

function tenantByKey(tenants: readonly DesiredTenant[], key: string): DesiredTenant {
  return tenants.find((tenant) => tenant.defaultDomain === key) as DesiredTenant;
}

function crashedPlan(tenants: readonly DesiredTenant[], key: string, error: unknown): TenantPlan {
  return unreadablePlan(tenantByKey(tenants, key), error);
}

/** A tenant whose run threw: failed, with the error, and nothing claimed about its permissions. */
function crashedRun(tenants: readonly DesiredTenant[], key: string, error: unknown): TenantRun {
  const tenant = tenantByKey(tenants, key);
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
