/**
 * What a tenant's Terraform stack declares, decided from the same plan the CLI makes: every
 * (resource, permission) pair the engine would hold the tenant to, less what the plan calls
 * blocked, each with the import id of the object the tenant already holds for it. Pure: the
 * CDKTF construct (src/construct) renders it, the CLI's `synth` reads the live state it needs.
 */
import type { DesiredTenant, Guid, PermissionSet } from "../desired/model";
import type { AccessProblem, LiveReading, LiveTenant } from "../live/model";
import { planTenant, type PlanOptions } from "./diff";
import type { BlockedItem, ResourceRef } from "./model";

/** One app role assignment the stack declares. */
export interface StackAssignment {
  readonly resource: ResourceRef;
  /** The app role's name (or its GUID where the declaration knows only that). */
  readonly permission: string;
  /** The app role's id when the tenant's resource was read; null to look it up by name at plan time. */
  readonly appRoleId: Guid | null;
  /** The azuread provider's import id of the assignment the tenant holds already; null: Terraform creates it. */
  readonly importId: string | null;
}

/** The AllPrincipals delegated grant the stack declares for one resource. */
export interface StackGrant {
  readonly resource: ResourceRef;
  /** The grant's full scope set (under the "keep" extras policy, with the extras the tenant holds). */
  readonly scopes: readonly string[];
  /** Import id of the tenant's existing AllPrincipals grant for CIPP-SAM on this resource; null: Terraform creates it. */
  readonly importId: string | null;
}

/** Everything one tenant's stack declares. */
export interface StackDeclaration {
  /** The resource applications whose service principals the stack reads (data sources). */
  readonly resources: readonly ResourceRef[];
  readonly assignments: readonly StackAssignment[];
  readonly grants: readonly StackGrant[];
}

/** A tenant's stack, or why it has none; `blocked` lists what the stack leaves out and why. */
export type TenantStackOutcome =
  | { readonly kind: "stack"; readonly declaration: StackDeclaration; readonly blocked: readonly BlockedItem[]; readonly live: boolean }
  | { readonly kind: "not-consented"; readonly message: string }
  | { readonly kind: "inaccessible"; readonly problem: AccessProblem };

/**
 * The import id of an app role assignment, as the azuread provider 3.x keys its state:
 * `/servicePrincipals/{resource service principal id}/appRoleAssignedTo/{assignment id}`
 * (its state upgrade from 2.x's `{resource id}/appRoleAssignment/{assignment id}` says so).
 */
export function appRoleAssignmentImportId(resourceServicePrincipalId: Guid, assignmentId: string): string {
  return `/servicePrincipals/${resourceServicePrincipalId}/appRoleAssignedTo/${assignmentId}`;
}

/** The import id of a delegated permission grant, as the azuread provider 3.x keys its state: `/oauth2PermissionGrants/{grant id}`. */
export function delegatedGrantImportId(grantId: string): string {
  return `/oauth2PermissionGrants/${grantId}`;
}

/**
 * The stack of a tenant whose live state is unknown: every declared permission, by name, nothing
 * to import. Terraform's plan then fails on a resource the tenant lacks (README, Terraform).
 */
export function declarationOf(permissions: PermissionSet): StackDeclaration {
  const resources = permissions.resources.map((r) => ({ appId: r.appId, displayName: r.displayName }));
  return {
    resources,
    assignments: permissions.resources.flatMap((r) =>
      r.appRoles.map((permission) => ({
        resource: { appId: r.appId, displayName: r.displayName },
        permission,
        appRoleId: null,
        importId: null,
      })),
    ),
    grants: permissions.resources
      .filter((r) => r.scopes.length + r.unpublishedScopes.length > 0)
      .map((r) => ({
        resource: { appId: r.appId, displayName: r.displayName },
        scopes: [...r.scopes, ...r.unpublishedScopes],
        importId: null,
      })),
  };
}

/**
 * A tenant's stack from its live reading: the plan of the tenant as if CIPP-SAM held nothing (what
 * the refresh reports as declared) gives the pairs and the blocked items; the tenant's own
 * assignments and grants give the import ids. A resource whose service principal is absent is left
 * out with its permissions, since the stack only reads service principals: blocked when it cannot
 * be added (no licence), otherwise listed as waiting for the service principal.
 */
export function tenantStack(desired: DesiredTenant, reading: LiveReading, options: PlanOptions = {}): TenantStackOutcome {
  if (reading.kind === "inaccessible") return { kind: "inaccessible", problem: reading.problem };
  if (reading.kind === "not-consented" || reading.live.client === null) {
    return {
      kind: "not-consented",
      message:
        "CIPP-SAM is not in this tenant yet, and Terraform cannot give the Partner Center consent that adds it: " +
        `run \`cipp-cpv refresh --tenant ${desired.defaultDomain}\` first, then synthesize again.`,
    };
  }
  const live = reading.live;
  const declared = planTenant(
    { ...desired, extras: { appRoles: "keep", scopes: "keep" } },
    { kind: "read", live: { ...live, appRoleAssignments: [], grants: [] } },
    options,
  );
  const blocked: BlockedItem[] = [...declared.blocked];
  const absent = new Set<Guid>();
  for (const action of declared.actions) {
    if (action.kind !== "create-resource") continue;
    absent.add(action.resource.appId);
    blocked.push({
      resource: action.resource,
      permission: null,
      type: "resource",
      reason: "resource-unavailable",
      detail: `${action.resource.displayName}'s service principal is not in the tenant yet; the stack reads it and does not create it (add it, then synthesize again)`,
    });
  }
  const assignments: StackAssignment[] = [];
  const grants: StackGrant[] = [];
  const used = new Map<Guid, ResourceRef>();
  for (const action of declared.actions) {
    if (action.kind === "add-app-role" && !absent.has(action.resource.appId)) {
      const spId = live.resources.get(action.resource.appId)?.servicePrincipalId;
      const held = live.appRoleAssignments.find((a) => a.resourceId === spId && a.appRoleId === action.appRoleId);
      used.set(action.resource.appId, action.resource);
      assignments.push({
        resource: action.resource,
        permission: action.permission,
        appRoleId: action.appRoleId,
        importId: held && spId ? appRoleAssignmentImportId(spId, held.id) : null,
      });
    }
    if (action.kind === "create-grant" && !absent.has(action.resource.appId)) {
      used.set(action.resource.appId, action.resource);
      grants.push(grantOf(desired, live, action.resource, action.scopes));
    }
  }
  return { kind: "stack", declaration: { resources: [...used.values()], assignments, grants }, blocked, live: true };
}

/** The grant for a resource: the declared scopes, with the held extras under "keep", adopting the grant the tenant holds. */
function grantOf(desired: DesiredTenant, live: LiveTenant, resource: ResourceRef, scopes: readonly string[]): StackGrant {
  const spId = live.resources.get(resource.appId)?.servicePrincipalId;
  const held = live.grants.find((g) => g.consentType === "AllPrincipals" && g.resourceId === spId);
  const wanted = new Set(scopes.map((s) => s.toLowerCase()));
  const kept = desired.extras.scopes === "keep" && held ? held.scopes.filter((s) => !wanted.has(s.toLowerCase())) : [];
  return { resource, scopes: [...scopes, ...kept], importId: held ? delegatedGrantImportId(held.id) : null };
}
