/**
 * Resolution of one tenant's desired permissions: base set ▸ partner tenant rule ▸ profiles in
 * the order the tenant lists them ▸ the tenant's own additions and removals. Pure: no I/O.
 */
import type { DesiredResource, ExtraPolicy, Guid, PermissionRef, PermissionSet } from "./model";
import { withPartnerCenterRule } from "./partner-center";

/** Where a declared change was written, so that a problem found while layering can name it. */
export interface ChangeSource {
  readonly file: string;
  readonly line: number;
  readonly field: string;
}

/** Permissions to add to, or remove from, one resource application. */
export interface ResourceChange {
  readonly appId: Guid;
  readonly displayName: string;
  readonly appRoles: readonly PermissionRef[];
  readonly scopes: readonly PermissionRef[];
  readonly unpublishedScopes: readonly string[];
  /** Removal only: the whole resource goes, whatever it holds. */
  readonly wholeResource: boolean;
  readonly source?: ChangeSource;
}

/** A named layer of changes: a profile, or the tenant's own add/remove. */
export interface Layer {
  readonly name: string;
  readonly add: readonly ResourceChange[];
  readonly remove: readonly ResourceChange[];
}

/**
 * A removal that found nothing to remove. Reported as an error by the loader: a removal that
 * removes nothing means the declaration no longer says what its author believes (a typo, a
 * profile already applied, or a base that dropped the permission).
 */
export interface IneffectiveRemoval {
  readonly layer: string;
  readonly source?: ChangeSource;
  readonly message: string;
}

export interface ResolvedPermissions {
  readonly permissions: PermissionSet;
  readonly ineffectiveRemovals: readonly IneffectiveRemoval[];
}

interface Working {
  appId: Guid;
  displayName: string;
  appRoles: string[];
  scopes: string[];
  unpublishedScopes: string[];
}

function addAll(target: string[], names: readonly string[]): void {
  for (const name of names) if (!target.includes(name)) target.push(name);
}

function applyAdd(resources: Working[], change: ResourceChange): void {
  let resource = resources.find((r) => r.appId === change.appId);
  if (!resource) {
    resource = { appId: change.appId, displayName: change.displayName, appRoles: [], scopes: [], unpublishedScopes: [] };
    resources.push(resource);
  }
  addAll(resource.appRoles, change.appRoles);
  // A scope lives in one list only, whichever the set already uses for it.
  const known = resource;
  addAll(
    resource.scopes,
    change.scopes.filter((s) => !known.unpublishedScopes.includes(s)),
  );
  addAll(
    resource.unpublishedScopes,
    change.unpublishedScopes.filter((s) => !known.scopes.includes(s)),
  );
}

function applyRemove(resources: Working[], change: ResourceChange, layer: string, problems: IneffectiveRemoval[]): void {
  const report = (message: string): void => {
    problems.push(change.source ? { layer, source: change.source, message } : { layer, message });
  };
  const index = resources.findIndex((r) => r.appId === change.appId);
  const resource = resources[index];
  if (!resource) {
    report(`${change.displayName} is not in the set at this point`);
    return;
  }
  if (change.wholeResource) {
    resources.splice(index, 1);
    return;
  }
  const take = (list: string[], name: string): boolean => {
    const at = list.indexOf(name);
    if (at >= 0) list.splice(at, 1);
    return at >= 0;
  };
  for (const name of change.appRoles) {
    if (!take(resource.appRoles, name)) report(`app role "${name}" of ${resource.displayName} is not in the set at this point`);
  }
  // A scope may sit in either list, depending on whether the resource publishes it.
  for (const name of [...change.scopes, ...change.unpublishedScopes]) {
    if (!take(resource.scopes, name) && !take(resource.unpublishedScopes, name)) {
      report(`scope "${name}" of ${resource.displayName} is not in the set at this point`);
    }
  }
  if (resource.appRoles.length + resource.scopes.length + resource.unpublishedScopes.length === 0) resources.splice(index, 1);
}

/**
 * Layers `layers` over `base` (with the partner tenant rule applied to the base first) and
 * reports removals that removed nothing. Resources keep the base's order; additions follow.
 */
export function resolvePermissions(base: PermissionSet, isPartner: boolean, layers: readonly Layer[]): ResolvedPermissions {
  const start = withPartnerCenterRule(base, isPartner);
  const resources: Working[] = start.resources.map((r) => ({
    appId: r.appId,
    displayName: r.displayName,
    appRoles: [...r.appRoles],
    scopes: [...r.scopes],
    unpublishedScopes: [...r.unpublishedScopes],
  }));
  const ineffectiveRemovals: IneffectiveRemoval[] = [];
  for (const layer of layers) {
    for (const change of layer.add) applyAdd(resources, change);
    for (const change of layer.remove) applyRemove(resources, change, layer.name, ineffectiveRemovals);
  }
  const permissions: PermissionSet = { resources: resources.map((r): DesiredResource => ({ ...r })) };
  return { permissions, ineffectiveRemovals };
}

/** A tenant's extras policy: its own choice per permission type, else the fleet default, else keep. */
export function resolveExtras(
  fleetDefault: { readonly appRoles?: ExtraPolicy; readonly scopes?: ExtraPolicy } | undefined,
  tenant: { readonly appRoles?: ExtraPolicy; readonly scopes?: ExtraPolicy } | undefined,
): { readonly appRoles: ExtraPolicy; readonly scopes: ExtraPolicy } {
  return {
    appRoles: tenant?.appRoles ?? fleetDefault?.appRoles ?? "keep",
    scopes: tenant?.scopes ?? fleetDefault?.scopes ?? "keep",
  };
}
