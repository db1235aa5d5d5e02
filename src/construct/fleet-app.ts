/**
 * The CDKTF app of a fleet: one {@link CippSamTenantStack} per tenant declared
 * `managedBy: terraform` (and not excluded). Tenants managed by cipp-cpv get no stack: one owner
 * per tenant. With live readings (`cipp-cpv synth --adopt`), each stack declares what the
 * engine's plan holds the tenant to, less what is blocked, and imports what the tenant holds.
 */
import { App } from "cdktf";
import { loadFleet } from "../desired/load";
import { managedByOf, type DesiredTenant, type Fleet } from "../desired/model";
import type { LiveReading } from "../live/model";
import { DEFAULT_BOOTSTRAP_SCOPES } from "../plan/bootstrap";
import type { BlockedItem, TenantRef } from "../plan/model";
import { tenantStack } from "../plan/stack";
import { CippSamTenantStack, stackName } from "./tenant-stack";

/** What synthesizing did for one tenant managed by Terraform. */
export interface SynthTenant {
  readonly tenant: TenantRef;
  /** The stack's name (its folder under <outdir>/stacks/), or null when it got none. */
  readonly stack: string | null;
  /** `synthesized`; `not-consented` (run refresh first) or `inaccessible` (the reading says why): no stack. */
  readonly status: "synthesized" | "not-consented" | "inaccessible";
  /** Whether the stack was made from the tenant's live state (import blocks, blocked items left out). */
  readonly live: boolean;
  /** Import blocks: objects the tenant holds that the stack adopts. */
  readonly imports: number;
  /** Assignments and grants the first apply creates. */
  readonly creates: number;
  /** What the stack leaves out, and why. */
  readonly blocked: readonly BlockedItem[];
  /** Why there is no stack, and what to do. */
  readonly message: string | null;
}

/** The synth report (text and JSON). */
export interface SynthReport {
  readonly tenants: readonly SynthTenant[];
  /** Tenants without a stack because cipp-cpv manages them (or they are excluded). */
  readonly notManaged: number;
}

export interface FleetStackOptions {
  /** Live readings by tenant id; tenants without one are synthesized from their declaration alone. */
  readonly readings?: ReadonlyMap<string, LiveReading>;
  /** The app's outdir, for local state paths relative to each stack. @default "cdktf.out" */
  readonly outdir?: string;
}

/** The tenants of `fleet` that get a stack: managed by Terraform, not excluded. */
export function terraformTenants(fleet: Fleet): DesiredTenant[] {
  return fleet.tenants.filter((tenant) => !tenant.excluded && managedByOf(tenant) === "terraform");
}

/** Adds a stack for every tenant managed by Terraform that its reading allows, and reports each. */
export function addFleetStacks(
  app: App,
  fleet: Fleet,
  options: FleetStackOptions = {},
): { stacks: CippSamTenantStack[]; report: SynthReport } {
  const stacks: CippSamTenantStack[] = [];
  const tenants: SynthTenant[] = [];
  const managed = terraformTenants(fleet);
  for (const tenant of managed) {
    const ref = { tenantId: tenant.tenantId, defaultDomain: tenant.defaultDomain, displayName: tenant.displayName };
    const reading = options.readings?.get(tenant.tenantId);
    const outcome = reading === undefined ? null : tenantStack(tenant, reading, { bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES });
    if (outcome !== null && outcome.kind !== "stack") {
      const message = outcome.kind === "not-consented" ? outcome.message : `${outcome.problem.message} ${outcome.problem.action}`;
      tenants.push({ tenant: ref, stack: null, status: outcome.kind, live: true, imports: 0, creates: 0, blocked: [], message });
      continue;
    }
    const name = stackName(tenant);
    const stack = new CippSamTenantStack(app, name, {
      tenant,
      applicationId: fleet.settings.applicationId,
      cloud: fleet.settings.cloud,
      ...(fleet.settings.terraform ? { backend: fleet.settings.terraform.backend } : {}),
      ...(options.outdir !== undefined ? { outdir: options.outdir } : {}),
      ...(outcome !== null ? { declaration: outcome.declaration } : {}),
    });
    stacks.push(stack);
    const declaration = stack.permissions.declaration;
    const objects = declaration.assignments.length + declaration.grants.length;
    tenants.push({
      tenant: ref,
      stack: name,
      status: "synthesized",
      live: outcome !== null,
      imports: stack.permissions.imports,
      creates: objects - stack.permissions.imports,
      blocked: outcome?.blocked ?? [],
      message: null,
    });
  }
  return { stacks, report: { tenants, notManaged: fleet.tenants.length - managed.length } };
}

/** Synthesizes the stacks of `fleet` into `outdir` and returns the report. */
export function synthesizeStacks(fleet: Fleet, options: FleetStackOptions = {}): SynthReport {
  const outdir = options.outdir ?? "cdktf.out";
  // Stack traces in every element's metadata cost most of the time of a large synth and serve no reader here.
  const app = new App({ outdir, stackTraces: false });
  const { report } = addFleetStacks(app, fleet, { ...options, outdir });
  app.synth();
  return report;
}

/** Loads the declarations in `stacksDir` and synthesizes their Terraform configuration (cdktf.out/), without live state. */
export function synthesizeFleet(stacksDir: string): SynthReport {
  return synthesizeStacks(loadFleet(stacksDir));
}

/** The report as text: one line per tenant, then what each leaves out. */
export function renderSynthText(report: SynthReport): string {
  const lines: string[] = [];
  for (const t of report.tenants) {
    const name = `${t.tenant.displayName} (${t.tenant.defaultDomain})`;
    if (t.stack === null) {
      lines.push(`${name}: no stack — ${t.message ?? t.status}`);
      continue;
    }
    const adopt = t.live
      ? `${t.imports} to import, ${t.creates} to create`
      : `${t.creates} declared (no live state: nothing imported, nothing left out)`;
    lines.push(`${name}: stack ${t.stack}, ${adopt}${t.blocked.length > 0 ? `, ${t.blocked.length} blocked` : ""}`);
    for (const b of t.blocked) {
      const what = b.permission === null ? "service principal" : `${b.type === "appRole" ? "app role" : "delegated scope"} ${b.permission}`;
      lines.push(`  ! ${b.resource.displayName}: ${what} — ${b.detail}`);
    }
  }
  const made = report.tenants.filter((t) => t.stack !== null).length;
  lines.push(
    `Synth: ${made} ${made === 1 ? "stack" : "stacks"}, ${report.tenants.length - made} without one; ` +
      `${report.notManaged} ${report.notManaged === 1 ? "tenant" : "tenants"} managed by cipp-cpv or excluded (no stack).`,
  );
  return lines.join("\n");
}

/** The report as JSON. */
export function renderSynthJson(report: SynthReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
