/**
 * The diff: what a refresh must change so that a tenant holds exactly what its declaration asks for.
 * A pure function of the desired tenant and its live reading: no I/O, no clock, same input → same plan.
 *
 * Rules worth knowing when reading a plan:
 * - app roles are matched by id against the resource service principal the tenant holds (a reference by name
 *   matches the role's `value`, a GUID its `id`), so a renamed or missing role shows up as blocked, not as drift;
 * - delegated scopes are the AllPrincipals grant's scope string; per-user (`Principal`) grants are never touched;
 * - a scope name the resource does not publish is still granted (Graph accepts any name in a grant) but carries a
 *   warning, unless the declaration lists it under `unpublishedScopes`;
 * - extras (held, not declared) are removed only under the "remove" policy; under "keep" they are listed as kept;
 * - the bootstrap scopes on Microsoft Graph are never removed, even under "remove": without them CIPP-SAM's
 *   token cannot write in the tenant, and Partner Center does not grant them again while its consent exists.
 */
import type { DesiredResource, DesiredTenant, ExtraPolicy, Guid } from "../desired/model";
import type {
  AccessProblem,
  LiveAppRoleAssignment,
  LiveGrant,
  LiveReading,
  LiveResource,
  LiveTenant,
  PublishedAppRole,
  PublishedScope,
} from "../live/model";
import type { BlockedItem, FleetPlan, KeptPermission, PlanAction, PlanWarning, ResourceRef, TenantPlan, TenantRef } from "./model";
import { DEFAULT_BOOTSTRAP_SCOPES, MICROSOFT_GRAPH_APP_ID, bootstrapCoversWrites, missingWriteScopes } from "./bootstrap";
import { isGuid } from "../guid";
import { compareNames, sortedUnique } from "./order";

/** Choices that change what a plan asks for without changing the declaration. */
export interface PlanOptions {
  /** Plan the Partner Center consent even when nothing needs it (CIPP's manual "Refresh CPV"). */
  readonly forceConsent?: boolean;
  /** The delegated scopes the Partner Center consent grants. @default DEFAULT_BOOTSTRAP_SCOPES */
  readonly bootstrapScopes?: readonly string[];
}

/** The plan for one tenant: what a refresh would change, what it cannot apply and why. */
export function planTenant(desired: DesiredTenant, reading: LiveReading, options: PlanOptions = {}): TenantPlan {
  const tenant: TenantRef = {
    tenantId: desired.tenantId,
    defaultDomain: desired.defaultDomain,
    displayName: desired.displayName,
  };
  switch (reading.kind) {
    case "inaccessible":
      return inaccessiblePlan(tenant, reading.problem);
    case "not-consented": {
      const plan = desired.isPartner ? partnerConsentProblem(tenant) : notConsentedPlan(tenant, desired, reading.problem);
      return reading.domainProof === undefined ? plan : { ...plan, domainProof: reading.domainProof };
    }
    case "read": {
      const plan = readTenantPlan(tenant, desired, reading.live, options);
      return reading.live.domainProof === undefined ? plan : { ...plan, domainProof: reading.live.domainProof };
    }
  }
}

/**
 * Plans every declared tenant that is not excluded, in declaration order.
 * @throws Error when a tenant to plan has no reading: the caller must read every tenant it plans.
 */
export function planFleet(
  tenants: readonly DesiredTenant[],
  readings: ReadonlyMap<Guid, LiveReading>,
  options: PlanOptions = {},
): FleetPlan {
  return {
    tenants: tenants
      .filter((tenant) => !tenant.excluded)
      .map((tenant) => {
        const reading = readings.get(tenant.tenantId);
        if (reading === undefined) {
          throw new Error(`No live reading for tenant ${tenant.defaultDomain} (${tenant.tenantId}); read it before planning`);
        }
        return planTenant(tenant, reading, options);
      }),
  };
}

/** What one resource contributes to a plan. */
interface Part {
  readonly actions: PlanAction[];
  readonly blocked: BlockedItem[];
  readonly kept: KeptPermission[];
  readonly warnings: PlanWarning[];
}

function emptyPart(): Part {
  return { actions: [], blocked: [], kept: [], warnings: [] };
}

function merge(into: Part, from: Part): void {
  into.actions.push(...from.actions);
  into.blocked.push(...from.blocked);
  into.kept.push(...from.kept);
  into.warnings.push(...from.warnings);
}

/** The plan of a tenant that cannot be planned: nothing to do until `problem` is fixed. */
export function inaccessiblePlan(tenant: TenantRef, problem: AccessProblem): TenantPlan {
  return { tenant, status: "inaccessible", actions: [], blocked: [], kept: [], warnings: [], problem };
}

/** The partner's own tenant cannot receive a Partner Center consent: its admin must consent in Entra ID. */
function partnerConsentProblem(tenant: TenantRef): TenantPlan {
  return inaccessiblePlan(tenant, {
    kind: "consent-missing",
    message: "CIPP-SAM lacks consent in the partner tenant, and Partner Center cannot consent an application in the partner's own tenant.",
    action:
      "Grant admin consent to CIPP-SAM in the partner tenant (Entra admin center → App registrations → CIPP-SAM → API permissions → Grant admin consent), then plan again.",
  });
}

/**
 * A tenant CIPP-SAM has never been consented in: the consent, then the whole declaration by name. Nothing of the
 * tenant can be read yet, so ids stay null and resource service principals to create are not guessed.
 */
function notConsentedPlan(tenant: TenantRef, desired: DesiredTenant, problem: AccessProblem): TenantPlan {
  const actions: PlanAction[] = [
    {
      kind: "consent",
      reason:
        `CIPP-SAM is not in the tenant${answeredWith(problem.message)}. The Partner Center consent adds it; which resource ` +
        "service principals must also be created, and the ids of the app roles, are known only once the tenant can be read after the consent.",
    },
  ];
  for (const resource of desired.permissions.resources) {
    const ref: ResourceRef = { appId: resource.appId, displayName: resource.displayName };
    for (const permission of sortedUnique(resource.appRoles)) {
      actions.push({ kind: "add-app-role", resource: ref, permission, appRoleId: null });
    }
    const scopes = sortedUnique([...resource.scopes, ...resource.unpublishedScopes]);
    if (scopes.length > 0) actions.push({ kind: "create-grant", resource: ref, scopes });
  }
  return { tenant, status: "changes", actions, blocked: [], kept: [], warnings: [], problem: null };
}

function readTenantPlan(tenant: TenantRef, desired: DesiredTenant, live: LiveTenant, options: PlanOptions): TenantPlan {
  const plan = emptyPart();
  const bootstrap = options.bootstrapScopes ?? DEFAULT_BOOTSTRAP_SCOPES;
  const declaredServicePrincipals = new Set<Guid>();
  for (const resource of desired.permissions.resources) {
    const liveResource = live.resources.get(resource.appId);
    if (liveResource !== undefined) declaredServicePrincipals.add(liveResource.servicePrincipalId);
    merge(plan, planDeclaredResource(resource, liveResource, live, desired.extras, bootstrap));
  }
  merge(plan, planUndeclaredResources(live, declaredServicePrincipals, desired.extras, bootstrap));

  // A forced consent means nothing in the partner tenant, where Partner Center cannot consent.
  const consentOptions = desired.isPartner ? { ...options, forceConsent: false } : options;
  const consentReason = consentReasonFor(live, plan.actions.length > 0, consentOptions);
  if (consentReason !== null) {
    if (desired.isPartner) return partnerConsentProblem(tenant);
    plan.actions.unshift({ kind: "consent", reason: consentReason });
  }
  return {
    tenant,
    status: plan.actions.length === 0 ? "converged" : "changes",
    actions: plan.actions,
    blocked: plan.blocked,
    kept: plan.kept,
    warnings: plan.warnings,
    problem: null,
  };
}

/** " (the token request got AADSTS65001)" from a problem quoting Entra ID, or "" when it quotes no code. */
function answeredWith(message: string): string {
  const code = /AADSTS\d+/.exec(message)?.[0];
  return code === undefined ? "" : ` (the token request got ${code})`;
}

function consentReasonFor(live: LiveTenant, hasWrites: boolean, options: PlanOptions): string | null {
  if (live.client === null) {
    return "CIPP-SAM's service principal is not in the tenant; the Partner Center consent adds it.";
  }
  if (hasWrites) {
    const missing = missingWriteScopes(live.tokenScopes);
    if (missing.length > 0) {
      const bootstrap = options.bootstrapScopes ?? DEFAULT_BOOTSTRAP_SCOPES;
      const covered = bootstrapCoversWrites(bootstrap)
        ? "the Partner Center consent grants them again"
        : `the configured bootstrap scopes (${bootstrap.join(", ")}) do not cover this either, so the consent alone will not fix it`;
      return `The delegated token lacks ${missing.join(", ")}, needed to write; ${covered}.`;
    }
  }
  if (options.forceConsent === true) return "Consent requested explicitly (forced), although nothing requires it.";
  return null;
}

function planDeclaredResource(
  resource: DesiredResource,
  liveResource: LiveResource | undefined,
  live: LiveTenant,
  extras: DesiredTenant["extras"],
  bootstrap: readonly string[],
): Part {
  const wantedScopeRefs = [...resource.scopes, ...resource.unpublishedScopes];
  if (liveResource === undefined) {
    const ref: ResourceRef = { appId: resource.appId, displayName: resource.displayName };
    const unavailable = live.unavailable.find((item) => item.appId === resource.appId);
    if (unavailable !== undefined) return unavailableResource(ref, resource, unavailable.reason);
    return newResource(ref, resource.appRoles, wantedScopeRefs);
  }
  const ref: ResourceRef = { appId: liveResource.appId, displayName: liveResource.displayName };
  const part = emptyPart();
  merge(part, planAppRoles(ref, liveResource, resource.appRoles, live.appRoleAssignments, extras.appRoles));
  const scopes = resolveScopes(ref, liveResource.scopes, wantedScopeRefs, resource.unpublishedScopes);
  merge(part, scopes.part);
  merge(part, planGrant(ref, liveResource.servicePrincipalId, scopes.wanted, live.grants, extras.scopes, bootstrapOn(ref, bootstrap)));
  return part;
}

/** A resource that cannot be added: every wanted permission is listed by name so the report shows what is missing. */
function unavailableResource(ref: ResourceRef, resource: DesiredResource, reason: string): Part {
  const part = emptyPart();
  const detail = `${ref.displayName} cannot be added to this tenant: ${reason}`;
  part.blocked.push({ resource: ref, permission: null, type: "resource", reason: "resource-unavailable", detail });
  for (const permission of sortedUnique(resource.appRoles)) {
    part.blocked.push({ resource: ref, permission, type: "appRole", reason: "resource-unavailable", detail });
  }
  for (const permission of sortedUnique([...resource.scopes, ...resource.unpublishedScopes])) {
    part.blocked.push({ resource: ref, permission, type: "scope", reason: "resource-unavailable", detail });
  }
  return part;
}

/** A resource whose service principal must be created first; its roles' ids are unknown until then. */
function newResource(ref: ResourceRef, appRoles: readonly string[], scopes: readonly string[]): Part {
  const part = emptyPart();
  part.actions.push({ kind: "create-resource", resource: ref });
  for (const permission of sortedUnique(appRoles)) {
    part.actions.push({ kind: "add-app-role", resource: ref, permission, appRoleId: null });
  }
  const names = sortedUnique(scopes);
  if (names.length > 0) part.actions.push({ kind: "create-grant", resource: ref, scopes: names });
  return part;
}

function findAppRole(published: readonly PublishedAppRole[], ref: string): PublishedAppRole | undefined {
  if (isGuid(ref)) {
    const id = ref.toLowerCase();
    return published.find((role) => role.id.toLowerCase() === id);
  }
  return published.find((role) => role.value === ref) ?? published.find((role) => role.value.toLowerCase() === ref.toLowerCase());
}

function findScope(published: readonly PublishedScope[], ref: string): PublishedScope | undefined {
  if (isGuid(ref)) {
    const id = ref.toLowerCase();
    return published.find((scope) => scope.id.toLowerCase() === id);
  }
  return published.find((scope) => scope.value === ref) ?? published.find((scope) => scope.value.toLowerCase() === ref.toLowerCase());
}

function planAppRoles(
  ref: ResourceRef,
  resource: LiveResource,
  refs: readonly string[],
  assignments: readonly LiveAppRoleAssignment[],
  policy: ExtraPolicy,
): Part {
  const part = emptyPart();
  const held = assignments.filter((assignment) => assignment.resourceId === resource.servicePrincipalId);
  const heldRoleIds = new Set(held.map((assignment) => assignment.appRoleId.toLowerCase()));
  const wantedRoleIds = new Set<string>();
  const additions: PlanAction[] = [];
  for (const permissionRef of sortedUnique(refs)) {
    const role = findAppRole(resource.appRoles, permissionRef);
    if (role === undefined) {
      part.blocked.push({
        resource: ref,
        permission: permissionRef,
        type: "appRole",
        reason: "not-published",
        detail: `${ref.displayName} publishes no app role ${isGuid(permissionRef) ? "with id" : "named"} ${permissionRef} in this tenant`,
      });
      continue;
    }
    const roleId = role.id.toLowerCase();
    if (wantedRoleIds.has(roleId)) continue;
    wantedRoleIds.add(roleId);
    if (!role.assignableToApps) {
      part.blocked.push({
        resource: ref,
        permission: role.value,
        type: "appRole",
        reason: "not-assignable",
        detail: `${role.value} on ${ref.displayName} can be assigned to users and groups only, not to an application`,
      });
    } else if (!role.enabled) {
      part.blocked.push({
        resource: ref,
        permission: role.value,
        type: "appRole",
        reason: "disabled",
        detail: `${ref.displayName} has disabled its app role ${role.value}`,
      });
    } else if (!heldRoleIds.has(roleId)) {
      additions.push({ kind: "add-app-role", resource: ref, permission: role.value, appRoleId: role.id });
    }
  }
  part.actions.push(...sortByPermission(additions));
  merge(part, appRoleExtras(ref, resource.appRoles, held, wantedRoleIds, policy));
  return part;
}

/** Assignments held on a resource but not wanted: removed or kept according to the policy. */
function appRoleExtras(
  ref: ResourceRef,
  published: readonly PublishedAppRole[],
  held: readonly LiveAppRoleAssignment[],
  wantedRoleIds: ReadonlySet<string>,
  policy: ExtraPolicy,
): Part {
  const part = emptyPart();
  const removals: PlanAction[] = [];
  for (const assignment of held) {
    if (wantedRoleIds.has(assignment.appRoleId.toLowerCase())) continue;
    const permission = findAppRole(published, assignment.appRoleId)?.value ?? assignment.appRoleId;
    if (policy === "remove") {
      removals.push({ kind: "remove-app-role", resource: ref, permission, assignmentId: assignment.id });
    } else {
      part.kept.push({ resource: ref, type: "appRole", permission });
    }
  }
  part.actions.push(...sortByPermission(removals));
  part.kept.sort((a, b) => compareNames(a.permission, b.permission));
  return part;
}

/** The wanted scope names, and what cannot or should not be granted as asked. */
function resolveScopes(
  ref: ResourceRef,
  published: readonly PublishedScope[],
  refs: readonly string[],
  unpublished: readonly string[],
): { wanted: string[]; part: Part } {
  const part = emptyPart();
  const declaredUnpublished = new Set(unpublished.map((name) => name.toLowerCase()));
  const wanted: string[] = [];
  for (const scopeRef of sortedUnique(refs)) {
    const scope = findScope(published, scopeRef);
    if (scope === undefined) {
      if (isGuid(scopeRef)) {
        part.blocked.push({
          resource: ref,
          permission: scopeRef,
          type: "scope",
          reason: "not-published",
          detail: `${ref.displayName} publishes no delegated scope with id ${scopeRef} in this tenant, so it has no name to grant`,
        });
        continue;
      }
      if (!declaredUnpublished.has(scopeRef.toLowerCase())) {
        part.warnings.push({
          resource: ref,
          permission: scopeRef,
          message:
            `${ref.displayName} does not publish a delegated scope named ${scopeRef}; it is granted anyway. ` +
            "Check the spelling, or list it under unpublishedScopes if that is intended.",
        });
      }
      wanted.push(scopeRef);
    } else if (!scope.enabled) {
      part.blocked.push({
        resource: ref,
        permission: scope.value,
        type: "scope",
        reason: "disabled",
        detail: `${ref.displayName} has disabled its delegated scope ${scope.value}`,
      });
    } else {
      wanted.push(scope.value);
    }
  }
  return { wanted: sortedUnique(wanted), part };
}

/**
 * The AllPrincipals grant for (CIPP-SAM, resource): created, updated to the wanted scopes, or left alone.
 * Under "keep" the new scope string is held ∪ wanted (scopes of duplicate grants included, so deleting a duplicate
 * loses nothing); under "remove" it is exactly the wanted set, as CIPP writes it, except for `indispensable` scopes
 * held, which stay (kept, with a warning).
 */
function planGrant(
  ref: ResourceRef,
  resourceServicePrincipalId: Guid,
  wanted: readonly string[],
  grants: readonly LiveGrant[],
  policy: ExtraPolicy,
  indispensable: readonly string[],
): Part {
  const part = emptyPart();
  const tenantWide = grants.filter((grant) => grant.consentType === "AllPrincipals" && grant.resourceId === resourceServicePrincipalId);
  const [keeper, ...duplicates] = rankByMatch(tenantWide, wanted);
  if (keeper === undefined) {
    if (wanted.length > 0) part.actions.push({ kind: "create-grant", resource: ref, scopes: [...wanted] });
    return part;
  }
  for (const duplicate of [...duplicates].sort((a, b) => compareNames(a.id, b.id))) {
    part.actions.push({ kind: "delete-duplicate-grant", resource: ref, grantId: duplicate.id });
  }
  const wantedKeys = new Set(wanted.map((name) => name.toLowerCase()));
  const extras = dedupeIgnoringCase(
    sortedUnique(tenantWide.flatMap((grant) => grant.scopes).filter((name) => name !== "" && !wantedKeys.has(name.toLowerCase()))),
  );
  const indispensableKeys = new Set(indispensable.map((name) => name.toLowerCase()));
  const kept = policy === "keep" ? extras : extras.filter((name) => indispensableKeys.has(name.toLowerCase()));
  for (const permission of kept) {
    part.kept.push({ resource: ref, type: "scope", permission });
    if (policy === "remove") {
      part.warnings.push({
        resource: ref,
        permission,
        message:
          `${permission} is not declared but is kept: CIPP-SAM's token needs it to write in this tenant, and Partner Center ` +
          "does not grant it again while its consent exists. Declare it to silence this warning.",
      });
    }
  }
  const target = sortedUnique([...wanted, ...kept]);
  const keeperKeys = new Set(keeper.scopes.map((name) => name.toLowerCase()));
  const targetKeys = new Set(target.map((name) => name.toLowerCase()));
  const add = target.filter((name) => !keeperKeys.has(name.toLowerCase()));
  const remove = sortedUnique(keeper.scopes.filter((name) => name !== "" && !targetKeys.has(name.toLowerCase())));
  if (add.length > 0 || remove.length > 0) {
    part.actions.push({ kind: "update-grant", resource: ref, grantId: keeper.id, add, remove, scopes: target });
  }
  return part;
}

/** The scopes that must stay on a resource's grant: the bootstrap scopes, on Microsoft Graph only. */
function bootstrapOn(ref: ResourceRef, bootstrap: readonly string[]): readonly string[] {
  return ref.appId.toLowerCase() === MICROSOFT_GRAPH_APP_ID ? bootstrap : [];
}

/** Grants ordered best match first: most wanted scopes held, then fewest unwanted, then by id for determinism. */
function rankByMatch(grants: readonly LiveGrant[], wanted: readonly string[]): LiveGrant[] {
  const wantedKeys = new Set(wanted.map((name) => name.toLowerCase()));
  const score = (grant: LiveGrant): { hits: number; misses: number } => {
    const keys = new Set(grant.scopes.filter((name) => name !== "").map((name) => name.toLowerCase()));
    let hits = 0;
    for (const key of keys) if (wantedKeys.has(key)) hits += 1;
    return { hits, misses: keys.size - hits };
  };
  return [...grants].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    if (sa.hits !== sb.hits) return sb.hits - sa.hits;
    if (sa.misses !== sb.misses) return sa.misses - sb.misses;
    return compareNames(a.id, b.id);
  });
}

/** Keeps the first spelling of names that differ only in case (the list must already be sorted). */
function dedupeIgnoringCase(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Assignments and grants CIPP-SAM holds on resources the declaration does not mention at all: extras like any
 * other, under the same policies (removing delegated extras empties the grant's scope string).
 */
function planUndeclaredResources(
  live: LiveTenant,
  declared: ReadonlySet<Guid>,
  extras: DesiredTenant["extras"],
  bootstrap: readonly string[],
): Part {
  const part = emptyPart();
  const servicePrincipalIds = sortedUnique([
    ...live.appRoleAssignments.map((assignment) => assignment.resourceId),
    ...live.grants.filter((grant) => grant.consentType === "AllPrincipals").map((grant) => grant.resourceId),
  ]).filter((id) => !declared.has(id));
  const resources = servicePrincipalIds.map((id) => ({ id, resource: resourceBySpId(live, id) }));
  resources.sort((a, b) => compareNames(refOf(a.id, a.resource).displayName, refOf(b.id, b.resource).displayName));
  for (const { id, resource } of resources) {
    const ref = refOf(id, resource);
    const held = live.appRoleAssignments.filter((assignment) => assignment.resourceId === id);
    merge(part, appRoleExtras(ref, resource?.appRoles ?? [], held, new Set(), extras.appRoles));
    merge(part, planGrant(ref, id, [], live.grants, extras.scopes, bootstrapOn(ref, bootstrap)));
  }
  return part;
}

function resourceBySpId(live: LiveTenant, servicePrincipalId: Guid): LiveResource | undefined {
  for (const resource of live.resources.values()) {
    if (resource.servicePrincipalId === servicePrincipalId) return resource;
  }
  return undefined;
}

/** A resource the reading did not describe is named by its service principal id, the only thing known of it. */
function refOf(servicePrincipalId: Guid, resource: LiveResource | undefined): ResourceRef {
  if (resource !== undefined) return { appId: resource.appId, displayName: resource.displayName };
  return { appId: servicePrincipalId, displayName: `unknown resource (service principal ${servicePrincipalId})` };
}

function sortByPermission(actions: PlanAction[]): PlanAction[] {
  const nameOf = (action: PlanAction): string => ("permission" in action ? action.permission : "");
  return actions.sort((a, b) => compareNames(nameOf(a), nameOf(b)));
}
