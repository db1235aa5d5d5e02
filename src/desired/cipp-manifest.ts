/**
 * CIPP's own permission files, accepted as they are: Config/SAMManifest.json (an Entra app
 * manifest fragment whose requiredResourceAccess lists permissions by GUID) and
 * Config/AdditionalPermissions.json (delegated scopes the resources do not publish, by name).
 */
import { isGuid } from "../guid";
import { catalogueResource, permissionName, type PermissionType } from "./catalogue";
import type { DesiredResource, Guid, PermissionSet } from "./model";

/** Which of CIPP's two files. */
export type CippFile = "samManifest" | "additionalPermissions";

/** A CIPP permission file that does not have the expected shape; `path` points into the JSON. */
export class ManifestFormatError extends Error {
  constructor(
    readonly document: CippFile,
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = "ManifestFormatError";
  }
}

interface Accumulator {
  appId: Guid;
  displayName: string;
  appRoles: Set<string>;
  scopes: Set<string>;
  unpublishedScopes: Set<string>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entriesOf(doc: CippFile, json: unknown, path: string): unknown[] {
  if (!Array.isArray(json)) throw new ManifestFormatError(doc, path, "must be an array");
  return json;
}

function resourceOf(doc: CippFile, byApp: Map<Guid, Accumulator>, entry: unknown, path: string): { acc: Accumulator; access: unknown[] } {
  if (!isRecord(entry)) throw new ManifestFormatError(doc, path, "must be an object");
  const appId = entry["resourceAppId"];
  if (typeof appId !== "string" || !isGuid(appId)) throw new ManifestFormatError(doc, `${path}.resourceAppId`, "must be a GUID");
  const key = appId.toLowerCase();
  let acc = byApp.get(key);
  if (!acc) {
    acc = {
      appId: key,
      displayName: catalogueResource(key)?.displayName ?? key,
      appRoles: new Set(),
      scopes: new Set(),
      unpublishedScopes: new Set(),
    };
    byApp.set(key, acc);
  }
  return { acc, access: entriesOf(doc, entry["resourceAccess"], `${path}.resourceAccess`) };
}

/** The name of a GUID the catalogue knows; otherwise the GUID, resolved live against the tenant later. */
function nameOf(appId: Guid, type: PermissionType, id: string): string {
  return permissionName(appId, type, id) ?? id.toLowerCase();
}

function toSet(byApp: Map<Guid, Accumulator>): PermissionSet {
  return {
    resources: [...byApp.values()].map((a): DesiredResource => ({
      appId: a.appId,
      displayName: a.displayName,
      appRoles: [...a.appRoles],
      scopes: [...a.scopes],
      unpublishedScopes: [...a.unpublishedScopes],
    })),
  };
}

function readSamManifest(byApp: Map<Guid, Accumulator>, samManifest: unknown): void {
  const doc = "samManifest";
  if (!isRecord(samManifest)) throw new ManifestFormatError(doc, "$", "must be an object with requiredResourceAccess");
  entriesOf(doc, samManifest["requiredResourceAccess"], "requiredResourceAccess").forEach((entry, i) => {
    const path = `requiredResourceAccess[${i}]`;
    const { acc, access } = resourceOf(doc, byApp, entry, path);
    access.forEach((item, j) => {
      const at = `${path}.resourceAccess[${j}]`;
      if (!isRecord(item)) throw new ManifestFormatError(doc, at, "must be an object");
      const { id, type } = item;
      if (typeof id !== "string" || !isGuid(id)) throw new ManifestFormatError(doc, `${at}.id`, "must be a GUID");
      // Older manifests list some entries twice: the sets de-duplicate.
      if (type === "Role") acc.appRoles.add(nameOf(acc.appId, "appRole", id));
      else if (type === "Scope") acc.scopes.add(nameOf(acc.appId, "scope", id));
      else throw new ManifestFormatError(doc, `${at}.type`, 'must be "Role" or "Scope"');
    });
  });
}

function readAdditionalPermissions(byApp: Map<Guid, Accumulator>, additional: unknown): void {
  const doc = "additionalPermissions";
  entriesOf(doc, additional, "$").forEach((entry, i) => {
    const path = `[${i}]`;
    const { acc, access } = resourceOf(doc, byApp, entry, path);
    access.forEach((item, j) => {
      const at = `${path}.resourceAccess[${j}]`;
      if (!isRecord(item)) throw new ManifestFormatError(doc, at, "must be an object");
      const { id, type } = item;
      if (type !== "Scope") throw new ManifestFormatError(doc, `${at}.type`, 'must be "Scope"');
      if (typeof id !== "string" || id.trim() === "") throw new ManifestFormatError(doc, `${at}.id`, "must be a scope name");
      if (isGuid(id)) acc.scopes.add(nameOf(acc.appId, "scope", id));
      else if (!acc.scopes.has(id)) acc.unpublishedScopes.add(id);
    });
  });
}

/**
 * The permission set CIPP's files describe: SAMManifest.json, plus AdditionalPermissions.json
 * when given. GUIDs become names where the catalogue knows them and stay GUIDs otherwise.
 * Throws {@link ManifestFormatError} naming the first malformed entry.
 */
export function permissionSetFromCippFiles(samManifest: unknown, additionalPermissions?: unknown): PermissionSet {
  const byApp = new Map<Guid, Accumulator>();
  readSamManifest(byApp, samManifest);
  if (additionalPermissions !== undefined) readAdditionalPermissions(byApp, additionalPermissions);
  return toSet(byApp);
}
