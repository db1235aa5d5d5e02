/**
 * Maps a Graph path and method to the operation that serves it, with what the operation needs
 * from the caller and what it costs against the identity throttle (Graph's "Microsoft Graph
 * service-specific throttling limits", "Identity and access service limits").
 */
import type { Requirement } from "./authorization";
import { PERMISSION_TABLE, type RouteKey } from "./permission-table";
import { type AssignmentSide, createAssignment, deleteAssignment, listAssignments } from "./app-role-assignments";
import type { GraphCall, GraphResult } from "./call";
import { GraphError } from "./errors";
import { listDomains, listOrganization } from "./organization";
import { createGrant, deleteGrant, getGrant, listClientGrants, listGrants, updateGrant } from "./permission-grants";
import {
  countServicePrincipals,
  createServicePrincipal,
  deleteServicePrincipal,
  getServicePrincipal,
  listServicePrincipals,
  type ServicePrincipalRef,
  updateServicePrincipal,
} from "./service-principals";
import { tenantRelationshipMethods } from "./gdap";
import { listSubscribedSkus } from "./tenant-info";

export interface Operation {
  /** The operation's row in the permission table. */
  readonly route: RouteKey;
  readonly requirement: Requirement;
  /** Documented resource units before the query modifiers. */
  readonly resourceUnits: number;
  /** Writes also count against the write quotas. */
  readonly isWrite: boolean;
  readonly run: (call: GraphCall) => GraphResult;
}

type Methods = Readonly<Partial<Record<"GET" | "POST" | "PATCH" | "DELETE", Operation>>>;

const read = (route: RouteKey, run: Operation["run"], resourceUnits = 1): Operation => ({
  route,
  requirement: PERMISSION_TABLE[route],
  resourceUnits,
  isWrite: false,
  run,
});
const write = (route: RouteKey, run: Operation["run"]): Operation => ({
  route,
  requirement: PERMISSION_TABLE[route],
  resourceUnits: 1,
  isWrite: true,
  run,
});

const ALTERNATE_KEY = /^servicePrincipals\(appId='([^']*)'\)$/i;

/**
 * The operation for `method` on `path` (the path without the version prefix).
 * @throws GraphError 400 for an unknown segment, 405 for a method the target does not allow.
 */
export function resolveOperation(method: string, path: string): Operation {
  const segments = path.split("/").filter((s) => s !== "");
  const methods = routeMethods(segments);
  const operation = methods[method.toUpperCase() as keyof Methods];
  if (!operation) throw new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
  return operation;
}

function notFoundSegment(segment: string | undefined): GraphError {
  return new GraphError(400, "BadRequest", `Resource not found for the segment '${segment ?? ""}'.`);
}

const is = (segment: string | undefined, name: string): boolean => segment?.toLowerCase() === name.toLowerCase();

function routeMethods(segments: readonly string[]): Methods {
  const [first, second, third] = segments;
  if (is(first, "servicePrincipals")) {
    if (segments.length === 1) {
      return {
        GET: read("GET /servicePrincipals", listServicePrincipals),
        POST: write("POST /servicePrincipals", createServicePrincipal),
      };
    }
    if (segments.length === 2 && second === "$count") return { GET: read("GET /servicePrincipals/$count", countServicePrincipals) };
    return servicePrincipalMethods({ by: "id", id: second ?? "" }, segments.slice(2));
  }
  const alternate = first === undefined ? null : ALTERNATE_KEY.exec(first);
  if (alternate) return servicePrincipalMethods({ by: "appId", appId: alternate[1] ?? "" }, segments.slice(1));
  if (is(first, "oauth2PermissionGrants")) {
    if (segments.length === 1) {
      return { GET: read("GET /oauth2PermissionGrants", listGrants, 2), POST: write("POST /oauth2PermissionGrants", createGrant) };
    }
    if (segments.length === 2 && second !== undefined) {
      return {
        GET: read("GET /oauth2PermissionGrants/{grant-id}", (c) => getGrant(c, second), 2),
        PATCH: write("PATCH /oauth2PermissionGrants/{grant-id}", (c) => updateGrant(c, second)),
        DELETE: write("DELETE /oauth2PermissionGrants/{grant-id}", (c) => deleteGrant(c, second)),
      };
    }
    throw notFoundSegment(third);
  }
  if (is(first, "subscribedSkus")) {
    if (segments.length === 1) return { GET: read("GET /subscribedSkus", listSubscribedSkus) };
    throw notFoundSegment(second);
  }
  if (is(first, "organization") || is(first, "domains")) {
    if (segments.length === 1)
      return { GET: is(first, "organization") ? read("GET /organization", listOrganization) : read("GET /domains", listDomains) };
    throw notFoundSegment(second);
  }
  if (is(first, "tenantRelationships")) {
    const methods = tenantRelationshipMethods(segments.slice(1));
    if (methods) return methods;
    throw notFoundSegment(segments.length === 1 ? first : segments[segments.length - 1]);
  }
  throw notFoundSegment(first);
}

function servicePrincipalMethods(ref: ServicePrincipalRef, rest: readonly string[]): Methods {
  const [navigation, key] = rest;
  if (navigation === undefined) {
    return {
      GET: read("GET /servicePrincipals/{id}", (c) => getServicePrincipal(c, ref)),
      PATCH: write("PATCH /servicePrincipals/{id}", (c) => updateServicePrincipal(c, ref)),
      DELETE: write("DELETE /servicePrincipals/{id}", (c) => deleteServicePrincipal(c, ref)),
    };
  }
  const side: AssignmentSide | null = is(navigation, "appRoleAssignments")
    ? "appRoleAssignments"
    : is(navigation, "appRoleAssignedTo")
      ? "appRoleAssignedTo"
      : null;
  if (side !== null && key === undefined) {
    return {
      // Only the client-side list is documented at 2 resource units.
      GET: read(`GET /servicePrincipals/{id}/${side}`, (c) => listAssignments(c, ref, side), side === "appRoleAssignments" ? 2 : 1),
      POST: write(`POST /servicePrincipals/{id}/${side}`, (c) => createAssignment(c, ref, side)),
    };
  }
  if (side !== null && key !== undefined && rest.length === 2) {
    return { DELETE: write(`DELETE /servicePrincipals/{id}/${side}/{assignment-id}`, (c) => deleteAssignment(c, ref, side, key)) };
  }
  if (is(navigation, "oauth2PermissionGrants") && rest.length === 1) {
    return { GET: read("GET /servicePrincipals/{id}/oauth2PermissionGrants", (c) => listClientGrants(c, ref), 2) };
  }
  throw notFoundSegment(side !== null ? rest[2] : navigation);
}
