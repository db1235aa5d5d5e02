/**
 * Fleets of any size for the benchmark: an emulator world of N customer tenants cloned from one
 * tenant of the demo world, and the stacks directory that declares exactly those tenants.
 * Identifiers are derived from the tenant's index, so a world built in one process and the stacks
 * written in another describe the same fleet.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO, demoWorld, type WorldSpec } from "../emulator";

/** `converged` clones the demo's healthy tenant (CIPP's full set held); `fresh` the never-consented one. */
export type FleetKind = "converged" | "fresh";

/** One customer tenant of a generated fleet. */
export interface FleetTenant {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
}

/** The `count` customer tenants of a generated fleet, the same for the same count. */
export function fleetTenants(count: number): FleetTenant[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`A fleet needs a whole number of tenants >= 1, got ${count}.`);
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => {
    const label = String(i + 1).padStart(width, "0");
    return {
      tenantId: guidFor(`cipp-cpv bench tenant ${label}`),
      defaultDomain: `bench${label}.onmicrosoft.com`,
      displayName: `Bench Tenant ${label}`,
    };
  });
}

/**
 * The demo world with its customers replaced by `tenants`, each a copy of the demo tenant that
 * `kind` names (same licences, service principals and grants), each with an active GDAP
 * relationship carrying the roles the demo's relationships carry. The partner tenant, CIPP-SAM and
 * the service account are the demo's, so DEMO_CREDENTIALS work.
 */
export function fleetWorld(kind: FleetKind, tenants: readonly FleetTenant[]): WorldSpec {
  const demo = demoWorld();
  const modelId = kind === "converged" ? DEMO.healthy.tenantId : DEMO.fresh.tenantId;
  const model = demo.tenants.find((t) => t.tenantId === modelId);
  const partner = demo.tenants.find((t) => t.tenantId === demo.partnerTenantId);
  const relationship = demo.gdapRelationships.find((r) => r.customerTenantId === modelId);
  if (!model || !partner || !relationship)
    throw new Error("The demo world no longer has the tenant the bench clones; update fleet-fixture.ts.");
  return {
    ...demo,
    tenants: [partner, ...tenants.map((t) => ({ ...model, ...t }))],
    gdapRelationships: tenants.map((t) => ({
      displayName: `CIPP ${t.displayName}`,
      customerTenantId: t.tenantId,
      status: "active" as const,
      roleTemplateIds: relationship.roleTemplateIds,
    })),
  };
}

/**
 * Writes a stacks directory into `dir` (which must exist): cipp-cpv.yaml for the demo partner and
 * CIPP-SAM on the sandbox cloud with CIPP's default set, and one tenants/*.yaml per tenant.
 */
export function writeFleetStacks(
  dir: string,
  tenants: readonly FleetTenant[],
  options: { readonly managedBy?: "terraform" | "cipp-cpv" } = {},
): void {
  writeFileSync(
    join(dir, "cipp-cpv.yaml"),
    [
      "# A generated benchmark fleet on the sandbox emulator.",
      `partnerTenantId: ${DEMO.partner.tenantId}`,
      `applicationId: ${DEMO.applicationId}`,
      "cloud: sandbox",
      "base: cipp",
      "",
    ].join("\n"),
  );
  const tenantsDir = join(dir, "tenants");
  mkdirSync(tenantsDir, { recursive: true });
  for (const t of tenants) {
    const name = t.defaultDomain.split(".")[0] ?? t.tenantId;
    writeFileSync(
      join(tenantsDir, `${name}.yaml`),
      `tenantId: ${t.tenantId}\ndefaultDomain: ${t.defaultDomain}\ndisplayName: ${JSON.stringify(t.displayName)}\n` +
        (options.managedBy === undefined ? "" : `managedBy: ${options.managedBy}\n`),
    );
  }
}

/** A version-4-shaped GUID derived from `seed`. */
function guidFor(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
