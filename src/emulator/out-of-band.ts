/**
 * Changes to a tenant's directory made outside CIPP-SAM's sight, through the control API: what an
 * administrator, another tool or Entra ID itself does to CIPP-SAM's objects between two runs
 * (a role assignment removed, the service principal deleted, a grant rewritten), and states real
 * tenants get into that the Graph API would refuse to create (a second tenant-wide grant for the
 * same client and resource). No token is involved and no request is counted; each change is
 * visible to reads at once.
 */
import type { EmuResponse, IdGenerator } from "./context";
import {
  assignmentId,
  canonicalGuid,
  findServicePrincipal,
  findTenant,
  grantId,
  isGuid,
  permissionsOf,
  removeAssignment,
  removeGrant,
  removeServicePrincipal,
  rescopeGrant,
} from "./state";
import type { OAuth2PermissionGrant, TenantState, World } from "./world";

export interface OutOfBandDeps {
  readonly world: World;
  readonly now: number;
  readonly ids: IdGenerator;
}

const notFound = (what: string): EmuResponse => ({ status: 404, body: { error: what } });
const bad = (message: string): EmuResponse => ({ status: 400, body: { error: message } });

/**
 * Answers `METHOD /tenants/{tenant}/{collection}[/{id}]` of the control API, or null when the
 * route is not one of these.
 */
export function handleOutOfBand(method: string, path: string, body: unknown, deps: OutOfBandDeps): EmuResponse | null {
  const route = /^\/tenants\/([^/]+)\/(servicePrincipals|appRoleAssignments|grants)(?:\/([^/]+))?$/.exec(path);
  if (!route?.[1] || !route[2]) return null;
  const tenant = findTenant(deps.world, route[1]);
  if (!tenant) return notFound(`No tenant '${route[1]}' in the world.`);
  const id = route[3] === undefined ? undefined : decodeURIComponent(route[3]);
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  switch (`${method} ${route[2]}${id === undefined ? "" : "/{id}"}`) {
    case "DELETE servicePrincipals/{id}": {
      // By object id or by appId: the caller may know either.
      const sp = tenant.servicePrincipals.get(canonicalGuid(id ?? "")) ?? findServicePrincipal(tenant, canonicalGuid(id ?? ""));
      if (!sp) return notFound(`No service principal '${id}' in the tenant.`);
      removeServicePrincipal(tenant, sp.id);
      return { status: 204 };
    }
    case "POST appRoleAssignments":
      return addAssignment(tenant, b, deps);
    case "DELETE appRoleAssignments/{id}":
      if (!tenant.appRoleAssignments.has(id ?? "")) return notFound(`No app role assignment '${id}' in the tenant.`);
      removeAssignment(tenant, id ?? "");
      return { status: 204 };
    case "POST grants":
      return addGrant(tenant, b, deps);
    case "PATCH grants/{id}": {
      const grant = tenant.grants.get(id ?? "");
      if (!grant) return notFound(`No grant '${id}' in the tenant.`);
      if (typeof b.scope !== "string") return bad("Expected { scope: string }.");
      rescopeGrant(grant, b.scope);
      return { status: 200, body: grantView(grant) };
    }
    case "DELETE grants/{id}":
      if (!tenant.grants.has(id ?? "")) return notFound(`No grant '${id}' in the tenant.`);
      removeGrant(tenant, id ?? "");
      return { status: 204 };
    default:
      return {
        status: 405,
        body: { error: `No control endpoint '${method} /tenants/{tenant}/${route[2]}${id === undefined ? "" : "/{id}"}'.` },
      };
  }
}

/** `{ principalAppId, resourceAppId, appRole }`: an app role assigned as an administrator would. */
function addAssignment(tenant: TenantState, b: Record<string, unknown>, deps: OutOfBandDeps): EmuResponse {
  if (typeof b.principalAppId !== "string" || typeof b.resourceAppId !== "string" || typeof b.appRole !== "string") {
    return bad("Expected { principalAppId, resourceAppId, appRole (value or id) }.");
  }
  const principal = findServicePrincipal(tenant, canonicalGuid(b.principalAppId));
  const resource = findServicePrincipal(tenant, canonicalGuid(b.resourceAppId));
  if (!principal || !resource) return notFound("The principal or the resource has no service principal in the tenant.");
  const wanted = b.appRole.toLowerCase();
  const role = permissionsOf(deps.world, resource.appId).appRoles.find((r) => r.value.toLowerCase() === wanted || r.id === wanted);
  if (!role) return bad(`'${resource.displayName}' publishes no app role '${b.appRole}'.`);
  const assignment = {
    id: assignmentId(principal.id, deps.ids),
    principalId: principal.id,
    resourceId: resource.id,
    appRoleId: role.id,
    createdDateTime: new Date(deps.now).toISOString(),
    createdAt: deps.now,
    visibleAt: deps.now,
  };
  tenant.appRoleAssignments.set(assignment.id, assignment);
  return { status: 201, body: { id: assignment.id, principalId: principal.id, resourceId: resource.id, appRoleId: role.id } };
}

/**
 * `{ clientAppId, resourceAppId, scope, consentType?, principalId? }`: a grant written as it
 * stands, any case and any scope names. Its id is Entra's composite key when that is free; a
 * second grant for the same key (which Graph's API refuses, but tenants hold) gets a random one.
 */
function addGrant(tenant: TenantState, b: Record<string, unknown>, deps: OutOfBandDeps): EmuResponse {
  if (typeof b.clientAppId !== "string" || typeof b.resourceAppId !== "string" || typeof b.scope !== "string") {
    return bad("Expected { clientAppId, resourceAppId, scope, consentType?, principalId? }.");
  }
  const consentType = b.consentType ?? "AllPrincipals";
  if (consentType !== "AllPrincipals" && consentType !== "Principal") return bad("consentType must be AllPrincipals or Principal.");
  const principalId = consentType === "Principal" && typeof b.principalId === "string" ? canonicalGuid(b.principalId) : null;
  if (consentType === "Principal" && (principalId === null || !isGuid(principalId)))
    return bad("A Principal grant needs a GUID principalId.");
  const client = findServicePrincipal(tenant, canonicalGuid(b.clientAppId));
  const resource = findServicePrincipal(tenant, canonicalGuid(b.resourceAppId));
  if (!client || !resource) return notFound("The client or the resource has no service principal in the tenant.");
  const key = grantId(client.id, resource.id, principalId);
  const grant: OAuth2PermissionGrant = {
    id: tenant.grants.has(key) ? deps.ids.randomBytes(32).toString("base64url") : key,
    clientId: client.id,
    resourceId: resource.id,
    consentType,
    principalId,
    scope: b.scope,
    createdAt: deps.now,
    visibleAt: deps.now,
  };
  tenant.grants.set(grant.id, grant);
  return { status: 201, body: grantView(grant) };
}

function grantView(g: OAuth2PermissionGrant): Record<string, unknown> {
  return {
    id: g.id,
    clientId: g.clientId,
    resourceId: g.resourceId,
    consentType: g.consentType,
    principalId: g.principalId,
    scope: g.scope,
  };
}
