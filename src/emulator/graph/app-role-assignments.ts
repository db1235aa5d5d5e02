/**
 * App role assignments of a service principal, from the client side (`appRoleAssignments`) and the
 * resource side (`appRoleAssignedTo`): list, create and delete with the directory's checks.
 */
import { assignmentId, isGuid, permissionsOf, readableAssignments, removeAssignment } from "../state";
import type { AppRoleAssignment, TenantState } from "../world";
import { bodyString, collectionResult, contextUrl, type GraphCall, type GraphResult, isVisible } from "./call";
import { GraphError, invalidProperty, resourceNotFound } from "./errors";
import type { EntityShape } from "./odata";
import { readServicePrincipal, resolveServicePrincipal, type ServicePrincipalRef } from "./service-principals";

/** Which navigation of the service principal the path uses. */
export type AssignmentSide = "appRoleAssignments" | "appRoleAssignedTo";

/** The "default access" role, assignable when the resource declares no app roles. */
const DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000";

const ASSIGNMENT_SHAPE: EntityShape<AppRoleAssignment> = {
  typeName: "microsoft.graph.appRoleAssignment",
  resourceName: "AppRoleAssignment",
  properties: [
    "id",
    "deletedDateTime",
    "appRoleId",
    "createdDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
  ],
  // appRoleAssignment's ids are Edm.Guid (compared with a bare GUID); only resourceId is filterable here
  // ("List appRoleAssignments granted to a service principal"; filtering by appRoleId or principalId is
  // refused: Microsoft Q&A "How to $filter appRoleAssignments based on appRoleId").
  filterable: { resourceId: { type: "Edm.Guid", read: (a) => a.resourceId } },
  unsupportedFilter: (property) => new GraphError(400, "Request_BadRequest", `Invalid filter clause ${property}: System.Guid`),
};

function assignmentJson(a: AppRoleAssignment, tenant: TenantState): Record<string, unknown> {
  return {
    id: a.id,
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: a.createdDateTime,
    principalDisplayName: tenant.servicePrincipals.get(a.principalId)?.displayName ?? null,
    principalId: a.principalId,
    principalType: "ServicePrincipal",
    resourceDisplayName: tenant.servicePrincipals.get(a.resourceId)?.displayName ?? null,
    resourceId: a.resourceId,
  };
}

/** Whether an assignment belongs to the service principal's navigation on `side`. */
function belongsTo(a: AppRoleAssignment, spId: string, side: AssignmentSide): boolean {
  // CIPP posts (and so may delete) through the client's appRoleAssignedTo; Graph tolerates it.
  return side === "appRoleAssignments" ? a.principalId === spId : a.resourceId === spId || a.principalId === spId;
}

/** `GET /servicePrincipals/{id}/appRoleAssignments` or `…/appRoleAssignedTo`. */
export function listAssignments(call: GraphCall, ref: ServicePrincipalRef, side: AssignmentSide): GraphResult {
  const sp = readServicePrincipal(call, ref);
  const owned = (a: AppRoleAssignment) => (side === "appRoleAssignments" ? a.principalId === sp.id : a.resourceId === sp.id);
  const items = readableAssignments(call.tenant, call.now).filter(owned);
  const fragment = side === "appRoleAssignments" ? "appRoleAssignments" : `servicePrincipals('${sp.id}')/appRoleAssignedTo`;
  return collectionResult(call, items, ASSIGNMENT_SHAPE, (a) => assignmentJson(a, call.tenant), fragment);
}

/**
 * `POST …/appRoleAssignments` or `…/appRoleAssignedTo` with `{principalId, resourceId, appRoleId}`.
 * A resource that exists but has not replicated yet answers like a role that has not propagated:
 * "Permission being assigned was not found on application".
 */
export function createAssignment(call: GraphCall, ref: ServicePrincipalRef, side: AssignmentSide): GraphResult {
  const pathSp = resolveServicePrincipal(call, ref);
  const field = (name: "principalId" | "resourceId" | "appRoleId"): string => {
    const value = bodyString(call.body, name);
    if (value === undefined || !isGuid(value)) throw invalidProperty(name, "AppRoleAssignment");
    return value;
  };
  const principalId = field("principalId");
  const resourceId = field("resourceId");
  const appRoleId = field("appRoleId");
  const pathMatches = side === "appRoleAssignments" ? principalId === pathSp.id : resourceId === pathSp.id || principalId === pathSp.id;
  if (!pathMatches) {
    throw new GraphError(
      400,
      "Request_BadRequest",
      `The service principal '${pathSp.id}' in the request URI is neither the principal nor the resource of the assignment.`,
    );
  }

  const principal = call.tenant.servicePrincipals.get(principalId);
  if (!principal || !isVisible(principal, call.now)) throw resourceNotFound(principalId);
  const resource = call.tenant.servicePrincipals.get(resourceId);
  if (!resource) throw resourceNotFound(resourceId);
  const notFound = new GraphError(400, "Request_BadRequest", "Permission being assigned was not found on application");
  if (!isVisible(resource, call.now)) throw notFound;
  const roles = permissionsOf(call.ctx.world, resource.appId).appRoles;
  const assignable =
    roles.some((r) => r.id === appRoleId && r.isEnabled && r.allowedMemberTypes.includes("Application")) ||
    (roles.length === 0 && appRoleId === DEFAULT_ACCESS_ROLE);
  if (!assignable) throw notFound;
  for (const a of call.tenant.appRoleAssignments.values()) {
    if (a.principalId === principalId && a.resourceId === resourceId && a.appRoleId === appRoleId) {
      throw new GraphError(400, "Request_BadRequest", "Permission being assigned already exists on the object");
    }
  }

  const assignment: AppRoleAssignment = {
    id: assignmentId(principalId, call.ctx.ids),
    principalId,
    resourceId,
    appRoleId,
    // Graph writes seven fractional digits.
    createdDateTime: new Date(call.now).toISOString().replace(/Z$/, "0000Z"),
    createdAt: call.now,
    visibleAt: call.now + call.ctx.faults.lagMs("create"),
  };
  call.tenant.appRoleAssignments.set(assignment.id, assignment);
  return {
    status: 201,
    body: {
      // As the docs show: the principal's side answers in the entity set's own context, the resource's side
      // in the navigation's.
      "@odata.context": contextUrl(
        call,
        side === "appRoleAssignments" ? "appRoleAssignments/$entity" : `servicePrincipals('${pathSp.id}')/${side}/$entity`,
      ),
      ...assignmentJson(assignment, call.tenant),
    },
  };
}

/** `DELETE …/appRoleAssignments/{id}` or `…/appRoleAssignedTo/{id}`. */
export function deleteAssignment(call: GraphCall, ref: ServicePrincipalRef, side: AssignmentSide, id: string): GraphResult {
  const sp = resolveServicePrincipal(call, ref);
  const assignment = call.tenant.appRoleAssignments.get(id);
  if (!assignment || !isVisible(assignment, call.now) || !belongsTo(assignment, sp.id, side)) throw resourceNotFound(id);
  removeAssignment(call.tenant, id, call.now, call.ctx.faults.lagMs("delete"));
  return { status: 204 };
}
