/**
 * Maps a Graph path and method to the operation that serves it, with what the operation needs
 * from the caller and what it costs against the identity throttle (microsoft-apis.md §5.2).
 */
import { type Requirement, REQUIREMENTS } from "./authorization";
import { type AssignmentSide, createAssignment, deleteAssignment, listAssignments } from "./app-role-assignments";
import type { GraphCall, GraphResult } from "./call";
import { GraphError } from "./errors";
import { createGrant, deleteGrant, getGrant, listClientGrants, listGrants, updateGrant } from "./permission-grants";
import {
  createServicePrincipal,
  deleteServicePrincipal,
  getServicePrincipal,
  listServicePrincipals,
  type ServicePrincipalRef,
} from "./service-principals";
import { tenantRelationshipMethods } from "./gdap";
import { listSubscribedSkus } from "./tenant-info";

export interface Operation {
  readonly requirement: Requirement;
  /** Documented resource units before the query modifiers. */
  readonly resourceUnits: number;
  /** Writes also count against the write quotas. */
  readonly isWrite: boolean;
  readonly run: (call: GraphCall) => GraphResult;
}

type Methods = Readonly<Partial<Record<"GET" | "POST" | "PATCH" | "DELETE", Operation>>>;

const read = (requirement: Requirement, run: Operation["run"], resourceUnits = 1): Operation => ({ requirement, resourceUnits, isWrite: false, run });
const write = (requirement: Requirement, run: Operation["run"]): Operation => ({ requirement, resourceUnits: 1, isWrite: true, run });

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
        GET: read(REQUIREMENTS.readServicePrincipals, listServicePrincipals),
        POST: write(REQUIREMENTS.writeServicePrincipals, createServicePrincipal),
      };
    }
    return servicePrincipalMethods({ by: "id", id: second ?? "" }, segments.slice(2));
  }
  const alternate = first === undefined ? null : ALTERNATE_KEY.exec(first);
  if (alternate) return servicePrincipalMethods({ by: "appId", appId: alternate[1] ?? "" }, segments.slice(1));
  if (is(first, "oauth2PermissionGrants")) {
    if (segments.length === 1) {
      return { GET: read(REQUIREMENTS.readGrants, listGrants, 2), POST: write(REQUIREMENTS.writeGrants, createGrant) };
    }
    if (segments.length === 2 && second !== undefined) {
      return {
        GET: read(REQUIREMENTS.readGrants, (c) => getGrant(c, second), 2),
        PATCH: write(REQUIREMENTS.writeGrants, (c) => updateGrant(c, second)),
        DELETE: write(REQUIREMENTS.writeGrants, (c) => deleteGrant(c, second)),
      };
    }
    throw notFoundSegment(third);
  }
  if (is(first, "subscribedSkus")) {
    if (segments.length === 1) return { GET: read(REQUIREMENTS.readSubscribedSkus, listSubscribedSkus) };
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
      GET: read(REQUIREMENTS.readServicePrincipals, (c) => getServicePrincipal(c, ref)),
      DELETE: write(REQUIREMENTS.writeServicePrincipals, (c) => deleteServicePrincipal(c, ref)),
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
      GET: read(REQUIREMENTS.readAppRoleAssignments, (c) => listAssignments(c, ref, side), side === "appRoleAssignments" ? 2 : 1),
      POST: write(REQUIREMENTS.writeAppRoleAssignments, (c) => createAssignment(c, ref, side)),
    };
  }
  if (side !== null && key !== undefined && rest.length === 2) {
    return { DELETE: write(REQUIREMENTS.writeAppRoleAssignments, (c) => deleteAssignment(c, ref, side, key)) };
  }
  if (is(navigation, "oauth2PermissionGrants") && rest.length === 1) {
    return { GET: read(REQUIREMENTS.readGrants, (c) => listClientGrants(c, ref), 2) };
  }
  throw notFoundSegment(side !== null ? rest[2] : navigation);
}
