/**
 * A fleet of mixed states for the resilience suite: clones of the demo world's tenants (converged,
 * drifted, never consented, unlicensed workloads, GDAP expired), some holding what no plan may touch
 * (another application's app role and grant; CIPP-SAM's extra permissions under `extras: keep`),
 * some holding what the plan must remove (`extras: remove`, a duplicate grant). Ids derive from the
 * tenant's index, so the world and the stacks written for it agree.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEMO, demoWorld, type WorldSpec } from "../../src/emulator";
import { CIPP_SAM_PERMISSIONS, FIRST_PARTY_APPS } from "../../src/emulator/demo-world";

export const GRAPH = "00000003-0000-0000-c000-000000000000";
export const STACKS = path.resolve(__dirname, "../../stacks");

/** Another multi-tenant application some customers have consented: nothing of it is CIPP-SAM's to change. */
export const OTHER_APP = { appId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", displayName: "Line-of-business Sync" } as const;

/**
 * - `converged`: CIPP's full set; `drifted`: an app role and a scope removed by an admin; `fresh`: never consented;
 * - `unlicensed`: no Defender nor RMS licence (declares the no-rms profile, like the demo's Adatum);
 * - `no-gdap`: the GDAP relationship expired, so nothing can be read or written;
 * - `other-app`: converged, plus another application's app role and grant on Microsoft Graph;
 * - `extras-kept`: drifted, plus CIPP-SAM holding an app role and a scope outside CIPP's set (extras: keep);
 * - `extras-removed`: like extras-kept, declared with `extras: remove`: the plan lists both for removal;
 * - `duplicate-grant`: converged, plus a second tenant-wide Graph grant (the plan deletes it, keeping its scopes).
 */
export type TenantState =
  "converged" | "drifted" | "fresh" | "unlicensed" | "no-gdap" | "other-app" | "extras-kept" | "extras-removed" | "duplicate-grant";

export const STATES: readonly TenantState[] = [
  "converged",
  "drifted",
  "fresh",
  "unlicensed",
  "no-gdap",
  "other-app",
  "extras-kept",
  "extras-removed",
  "duplicate-grant",
];

export interface ChaosTenant {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly state: TenantState;
}

/** `count` tenants, the states taken in turn (so every state is present once count >= STATES.length). */
export function chaosTenants(count: number, states: readonly TenantState[] = STATES): ChaosTenant[] {
  return Array.from({ length: count }, (_, i) => {
    const label = String(i + 1).padStart(4, "0");
    const state = states[i % states.length] as TenantState;
    return {
      tenantId: guidFor(`cipp-cpv chaos tenant ${label}`),
      defaultDomain: `chaos${label}.onmicrosoft.com`,
      displayName: `Chaos ${label} (${state})`,
      state,
    };
  });
}

const graphApp = FIRST_PARTY_APPS.find((a) => a.appId === GRAPH);
const cippGraph = CIPP_SAM_PERMISSIONS.find((r) => r.resourceAppId === GRAPH);
if (!graphApp || !cippGraph)
  throw new Error("The demo world no longer publishes Microsoft Graph or CIPP's Graph permissions; update test/chaos/fleet.ts.");
/** A Graph application permission and a delegated scope outside CIPP's set. */
export const EXTRA_ROLE =
  graphApp.appRoles.find((r) => !cippGraph.appRoleIds.includes(r.id) && (r.allowedMemberTypes ?? ["Application"]).includes("Application"))
    ?.value ?? "";
export const EXTRA_SCOPE = graphApp.oauth2PermissionScopes.find((s) => !cippGraph.scopes.includes(s.value))?.value ?? "";

/** The demo world with its customers replaced by `tenants`, each a clone of the demo tenant of its state, with the state's additions. */
export function chaosWorld(tenants: readonly ChaosTenant[]): WorldSpec {
  const demo = demoWorld();
  const model = (state: TenantState): string =>
    ({
      converged: DEMO.healthy.tenantId,
      drifted: DEMO.drifted.tenantId,
      fresh: DEMO.fresh.tenantId,
      unlicensed: DEMO.unlicensed.tenantId,
      "no-gdap": DEMO.noGdap.tenantId,
      "other-app": DEMO.healthy.tenantId,
      "extras-kept": DEMO.drifted.tenantId,
      "extras-removed": DEMO.drifted.tenantId,
      "duplicate-grant": DEMO.healthy.tenantId,
    })[state];
  const partner = demo.tenants.find((t) => t.tenantId === demo.partnerTenantId);
  const active = demo.gdapRelationships.find((r) => r.customerTenantId === DEMO.healthy.tenantId);
  if (!partner || !active)
    throw new Error("The demo world no longer has the partner tenant or an active relationship; update test/chaos/fleet.ts.");
  return {
    ...demo,
    applications: [
      ...demo.applications,
      { appId: OTHER_APP.appId, displayName: OTHER_APP.displayName, homeTenantId: DEMO.partner.tenantId },
    ],
    tenants: [
      partner,
      ...tenants.map((t) => {
        const base = demo.tenants.find((d) => d.tenantId === model(t.state));
        if (!base) throw new Error(`No demo tenant to clone for ${t.state}`);
        const { tenantId, defaultDomain, displayName } = t;
        const spec = { ...base, tenantId, defaultDomain, displayName };
        switch (t.state) {
          case "other-app":
            return {
              ...spec,
              servicePrincipals: [...(spec.servicePrincipals ?? []), { appId: OTHER_APP.appId }],
              appRoleAssignments: [
                ...(spec.appRoleAssignments ?? []),
                { principalAppId: OTHER_APP.appId, resourceAppId: GRAPH, appRole: EXTRA_ROLE },
              ],
              grants: [...(spec.grants ?? []), { clientAppId: OTHER_APP.appId, resourceAppId: GRAPH, scope: `User.Read ${EXTRA_SCOPE}` }],
            };
          case "extras-kept":
          case "extras-removed":
            return {
              ...spec,
              appRoleAssignments: [
                ...(spec.appRoleAssignments ?? []),
                { principalAppId: DEMO.applicationId, resourceAppId: GRAPH, appRole: EXTRA_ROLE },
              ],
              grants: (spec.grants ?? []).map((g) =>
                g.resourceAppId === GRAPH && g.clientAppId === DEMO.applicationId ? { ...g, scope: `${g.scope} ${EXTRA_SCOPE}` } : g,
              ),
            };
          case "duplicate-grant":
            return {
              ...spec,
              grants: [
                ...(spec.grants ?? []),
                {
                  id: guidFor(`duplicate grant ${tenantId}`),
                  clientAppId: DEMO.applicationId,
                  resourceAppId: GRAPH,
                  scope: "User.Read Directory.Read.All",
                },
              ],
            };
          default:
            return spec;
        }
      }),
    ],
    gdapRelationships: tenants.map((t) => ({
      displayName: `CIPP ${t.displayName}`,
      customerTenantId: t.tenantId,
      status: t.state === "no-gdap" ? ("expired" as const) : ("active" as const),
      roleTemplateIds: active.roleTemplateIds,
    })),
  };
}

/** Writes a stacks folder declaring `tenants` into `dir` (a `.git` beside it makes `dir`'s parent the repository). */
export function writeChaosStacks(dir: string, tenants: readonly ChaosTenant[]): void {
  mkdirSync(path.join(dir, "tenants"), { recursive: true });
  cpSync(path.join(STACKS, "cipp-cpv.yaml"), path.join(dir, "cipp-cpv.yaml"));
  cpSync(path.join(STACKS, "profiles"), path.join(dir, "profiles"), { recursive: true });
  for (const t of tenants) {
    const lines = [`tenantId: ${t.tenantId}`, `defaultDomain: ${t.defaultDomain}`, `displayName: ${JSON.stringify(t.displayName)}`];
    if (t.state === "unlicensed") lines.push("profiles:", "  - no-rms");
    if (t.state === "extras-removed") lines.push("extras:", "  appRoles: remove", "  scopes: remove");
    writeFileSync(path.join(dir, "tenants", `${t.defaultDomain.split(".")[0] ?? t.tenantId}.yaml`), `${lines.join("\n")}\n`);
  }
}

/** A version-4-shaped GUID derived from `seed`. */
function guidFor(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
