#!/usr/bin/env node
/**
 * Generates src/desired/catalogue.json: the published app roles and delegated scopes (value and
 * id only) of the resource applications CIPP-SAM uses, so that declarations can be checked and
 * GUIDs turned into names without a network call.
 *
 * Usage: node scripts/generate-catalogue.mjs [path/to/graph-permissions.json]
 * (default: ../shared/data/graph-permissions.json next to the repository).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = resolve(process.argv[2] ?? join(root, "..", "shared", "data", "graph-permissions.json"));
const target = join(root, "src", "desired", "catalogue.json");

// Resource applications CIPP-SAM asks for whose permissions Microsoft does not publish in any
// export we have: names declared for them cannot be checked, only resolved live.
const UNPUBLISHED = [
  { appId: "00000006-0000-0ff1-ce00-000000000000", displayName: "Microsoft Office 365 Portal" },
  { appId: "c9d36ed4-91b3-4c87-b8d7-68d92826c96c", displayName: "Modern Workplace Customer APIs" },
  { appId: "507bc9da-c4e2-40cb-96a7-ac90df92685c", displayName: "Office 365 Reports" },
];

/**
 * @typedef {{ id: string, value: string }} Permission
 * @typedef {{ appId: string, displayName: string, appRoles?: Permission[], oauth2PermissionScopes?: Permission[] }} PublishedResource
 * @typedef {{ resources: PublishedResource[], _source?: { repo?: string, commit?: string, date?: string } }} GraphPermissions
 */

/**
 * value → id. A resource may publish one value under two ids (Exchange Online's delegated
 * "User.ReadBasic.All"): the first keeps the name, the others are listed in `otherIds` so that
 * id → name still finds them.
 * @param {readonly Permission[]} entries
 */
function byValue(entries) {
  /** @type {Record<string, string>} */
  const ids = {};
  /** @type {Record<string, string>} */
  const otherIds = {};
  for (const { id, value } of entries) {
    const key = value;
    const canonical = id.toLowerCase();
    if (Object.hasOwn(ids, key)) otherIds[canonical] = key;
    else ids[key] = canonical;
  }
  return { ids, otherIds };
}

/** @type {unknown} */
const parsed = JSON.parse(readFileSync(source, "utf8"));
const data = /** @type {GraphPermissions} */ (parsed);
/** @type {Record<string, object | undefined>} */
const resources = {};
for (const resource of data.resources) {
  const appRoles = byValue(resource.appRoles ?? []);
  const scopes = byValue(resource.oauth2PermissionScopes ?? []);
  resources[resource.appId.toLowerCase()] = {
    displayName: resource.displayName,
    published: true,
    appRoles: appRoles.ids,
    scopes: scopes.ids,
    ...(Object.keys(appRoles.otherIds).length > 0 ? { otherAppRoleIds: appRoles.otherIds } : {}),
    ...(Object.keys(scopes.otherIds).length > 0 ? { otherScopeIds: scopes.otherIds } : {}),
  };
}
for (const { appId, displayName } of UNPUBLISHED) {
  if (resources[appId]) throw new Error(`${appId} is now in ${source}: drop it from UNPUBLISHED`);
  resources[appId] = { displayName, published: false, appRoles: {}, scopes: {} };
}

const catalogue = {
  _source: {
    generatedBy: "scripts/generate-catalogue.mjs",
    from: data._source?.repo ?? "graph-permissions.json",
    commit: data._source?.commit ?? null,
    date: data._source?.date ?? null,
  },
  resources,
};
writeFileSync(target, JSON.stringify(catalogue, null, 1) + "\n");
console.log(`wrote ${target}: ${Object.keys(resources).length} resource applications`);
