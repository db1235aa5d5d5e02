#!/usr/bin/env node
// Generates the emulator's first-party app catalogue and CIPP-SAM's permission set from the shared
// reference data, so that tests never read that data at run time.
//   node scripts/generate-emulator-fixtures.mjs [path/to/shared/data]
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = resolve(process.argv[2] ?? join(root, "..", "shared", "data"));
const outDir = join(root, "src", "emulator", "fixtures");
/** @param {string} name @returns {unknown} */
const read = (name) => JSON.parse(readFileSync(join(dataDir, name), "utf8"));

/**
 * @typedef {{ id: string, value: string, allowedMemberTypes?: string[] | null, isEnabled?: boolean | null, type?: string }} Permission
 * @typedef {{ appId: string, displayName: string, appRoles: Permission[], oauth2PermissionScopes: Permission[] }} PublishedResource
 * @typedef {{ resourceAppId: string, resourceName: string, resourceAccess: { id: string, type: string }[] }} RequiredAccess
 * @typedef {{ appId: string, displayName: string, appRoles: Permission[], oauth2PermissionScopes: Permission[], requiresServicePlans?: string[] }} FirstPartyApp
 * @typedef {{ resourceAppId: string, displayName: string, appRoleIds: string[], scopes: string[] }} GrantSet
 */
const permissions = /** @type {{ resources: PublishedResource[] }} */ (read("graph-permissions.json"));
const manifest = /** @type {{ requiredResourceAccess: RequiredAccess[], additionalPermissions: RequiredAccess[] }} */ (
  read("cipp-sam-manifest.json")
);

/**
 * A stable made-up GUID for permissions the reference data does not list (UUID v5 layout).
 * @param {string} appId @param {string} name
 */
function madeUpGuid(appId, name) {
  const h = createHash("sha1").update(`cipp-cpv-emulator:${appId}:${name}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// Workloads that need a licence: the tenant must hold one of these service plans.
/** @type {Record<string, string[] | undefined>} */
const LICENSING = {
  "fc780465-2017-40d4-a0c5-307022471b92": ["WINDEFATP", "MDE_LITE", "MDE_SMB"],
  "00000012-0000-0000-c000-000000000000": ["RMS_S_ENTERPRISE", "RMS_S_PREMIUM", "RMS_S_PREMIUM2"],
};

// Resource apps CIPP uses that the reference data lacks: one user_impersonation scope each.
/** @type {[string, string][]} */
const MISSING_APPS = [
  ["00000006-0000-0ff1-ce00-000000000000", "Microsoft Office 365 Portal"],
  ["c9d36ed4-91b3-4c87-b8d7-68d92826c96c", "Modern Workplace Customer APIs"],
  ["507bc9da-c4e2-40cb-96a7-ac90df92685c", "Office 365 Reports"],
];

/** @type {FirstPartyApp[]} */
const apps = permissions.resources.map((r) => ({
  appId: r.appId,
  displayName: r.displayName,
  appRoles: r.appRoles.map((a) => ({
    id: a.id,
    value: a.value,
    // Non-Graph sources leave allowedMemberTypes null; those roles are application permissions.
    allowedMemberTypes: a.allowedMemberTypes ?? ["Application"],
    ...(a.isEnabled === null || a.isEnabled === undefined ? {} : { isEnabled: a.isEnabled }),
  })),
  oauth2PermissionScopes: r.oauth2PermissionScopes.map((s) => ({
    id: s.id,
    value: s.value,
    ...(s.type ? { type: s.type } : {}),
    ...(s.isEnabled === null || s.isEnabled === undefined ? {} : { isEnabled: s.isEnabled }),
  })),
  ...(LICENSING[r.appId] ? { requiresServicePlans: LICENSING[r.appId] } : {}),
}));
for (const [appId, displayName] of MISSING_APPS) {
  apps.push({ appId, displayName, appRoles: [], oauth2PermissionScopes: [] });
}
const byAppId = new Map(apps.map((a) => [a.appId, a]));

// CIPP's AdditionalPermissions name scopes the reference data may not list; publish them so the
// demo world's grants only hold scopes their resource publishes.
/** @type {Map<string, GrantSet>} */
const resources = new Map();
/** @param {string} appId @param {string} name @returns {GrantSet} */
const entry = (appId, name) => {
  const known = resources.get(appId);
  if (known) return known;
  const created = { resourceAppId: appId, displayName: byAppId.get(appId)?.displayName ?? name, appRoleIds: [], scopes: [] };
  resources.set(appId, created);
  return created;
};
for (const r of [...manifest.requiredResourceAccess, ...manifest.additionalPermissions]) {
  const app = byAppId.get(r.resourceAppId);
  if (!app) throw new Error(`No first-party app for ${r.resourceAppId} (${r.resourceName})`);
  const e = entry(r.resourceAppId, r.resourceName);
  for (const access of r.resourceAccess) {
    if (access.type === "Role") {
      if (!app.appRoles.some((a) => a.id === access.id)) throw new Error(`${app.displayName} has no app role ${access.id}`);
      if (!e.appRoleIds.includes(access.id)) e.appRoleIds.push(access.id);
      continue;
    }
    let scope = app.oauth2PermissionScopes.find((s) => s.id === access.id || s.value === access.id);
    if (!scope) {
      scope = { id: madeUpGuid(app.appId, access.id), value: access.id };
      app.oauth2PermissionScopes.push(scope);
    }
    if (!e.scopes.includes(scope.value)) e.scopes.push(scope.value);
  }
}

const PARTNER_CENTER = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
const grants = {
  description:
    "CIPP-SAM's permission set (CIPP Config/SAMManifest.json plus AdditionalPermissions.json): app role ids and delegated scope names per resource. Partner Center is consented in the partner tenant only.",
  resources: [...resources.values()].map((r) => ({ ...r, partnerTenantOnly: r.resourceAppId === PARTNER_CENTER })),
};

writeFileSync(join(outDir, "first-party-apps.json"), JSON.stringify(apps, null, 1) + "\n");
writeFileSync(join(outDir, "cipp-sam-grants.json"), JSON.stringify(grants, null, 2) + "\n");
/** @param {"appRoleIds" | "scopes"} k */
const count = (k) => grants.resources.reduce((n, r) => n + r[k].length, 0);
console.log(
  `first-party apps: ${apps.length}; CIPP-SAM: ${grants.resources.length} resources, ${count("appRoleIds")} app roles, ${count("scopes")} scopes`,
);
