/**
 * Delegated permission grants (`/oauth2PermissionGrants`): list with `$filter`, the service
 * principal's navigation, get, create (keyed as Entra keys them, so duplicates collide), PATCH
 * that replaces the scope string, and delete.
 */
import { grantId, isGuid, readableGrants, removeGrant, rescopeGrant } from "../state";
import type { OAuth2PermissionGrant } from "../world";
import { bodyString, collectionResult, contextUrl, type GraphCall, type GraphResult, isVisible } from "./call";
import { GraphError, invalidProperty, resourceNotFound } from "./errors";
import { applySelect, type EntityShape, parseSelect, rejectUnsupportedOptions } from "./odata";
import { readServicePrincipal, type ServicePrincipalRef } from "./service-principals";

/** Graph refuses longer scope strings. */
const MAX_SCOPE_LENGTH = 3850;
const RESOURCE = "OAuth2PermissionGrant";

const GRANT_SHAPE: EntityShape<OAuth2PermissionGrant> = {
  typeName: "microsoft.graph.oAuth2PermissionGrant",
  resourceName: RESOURCE,
  properties: ["id", "clientId", "consentType", "principalId", "resourceId", "scope"],
  // oAuth2PermissionGrant's ids are Edm.String: a GUID is quoted ("List oauth2PermissionGrants").
  filterable: {
    clientId: { type: "Edm.String", read: (g) => g.clientId },
    resourceId: { type: "Edm.String", read: (g) => g.resourceId },
    consentType: { type: "Edm.String", read: (g) => g.consentType },
    principalId: { type: "Edm.String", read: (g) => g.principalId },
  },
};

function grantJson(g: OAuth2PermissionGrant): Record<string, unknown> {
  return {
    clientId: g.clientId,
    consentType: g.consentType,
    id: g.id,
    principalId: g.principalId,
    resourceId: g.resourceId,
    scope: g.scope,
  };
}

/** The grant as reads see it: under replication lag, one deleted or re-scoped a moment ago reads as it was. */
function readGrant(call: GraphCall, id: string): OAuth2PermissionGrant {
  const grant = readableGrants(call.tenant, call.now).find((g) => g.id === id);
  if (!grant) throw resourceNotFound(id);
  return grant;
}

/** The grant a write acts on: the latest state, once it has replicated far enough to be addressed. */
function visibleGrant(call: GraphCall, id: string): OAuth2PermissionGrant {
  const grant = call.tenant.grants.get(id);
  if (!grant || !isVisible(grant, call.now)) throw resourceNotFound(id);
  return grant;
}

function scopeOf(body: unknown, required: boolean): string {
  const scope = bodyString(body, "scope");
  if (scope === undefined) {
    if (required || (typeof body === "object" && body !== null && "scope" in body)) throw invalidProperty("scope", RESOURCE);
    return "";
  }
  if (scope.length > MAX_SCOPE_LENGTH) throw invalidProperty("scope", RESOURCE);
  return scope;
}

/** `GET /oauth2PermissionGrants`. */
export function listGrants(call: GraphCall): GraphResult {
  const items = readableGrants(call.tenant, call.now);
  return collectionResult(call, items, GRANT_SHAPE, (g) => listedGrantJson(call, g), "oauth2PermissionGrants");
}

/** A grant in a list carries its canonical address, in the directory's own (v2) form, as Graph shows it. */
function listedGrantJson(call: GraphCall, g: OAuth2PermissionGrant): Record<string, unknown> {
  return { "@odata.id": `${call.ctx.baseUrl}/v2/${call.tenant.tenantId}/oauth2PermissionGrants/${g.id}`, ...grantJson(g) };
}

/** `GET /servicePrincipals/{id}/oauth2PermissionGrants`: the grants the service principal holds as client. */
export function listClientGrants(call: GraphCall, ref: ServicePrincipalRef): GraphResult {
  const sp = readServicePrincipal(call, ref);
  const items = readableGrants(call.tenant, call.now).filter((g) => g.clientId === sp.id);
  return collectionResult(call, items, GRANT_SHAPE, grantJson, `servicePrincipals('${sp.id}')/oauth2PermissionGrants`);
}

/** `GET /oauth2PermissionGrants/{id}`. */
export function getGrant(call: GraphCall, id: string): GraphResult {
  rejectUnsupportedOptions(call.query, new Set(["$select"]));
  const select = parseSelect(call.query, GRANT_SHAPE);
  const grant = readGrant(call, id);
  return {
    status: 200,
    body: { "@odata.context": contextUrl(call, "oauth2PermissionGrants/$entity"), ...applySelect(grantJson(grant), select) },
  };
}

/** `POST /oauth2PermissionGrants`. */
export function createGrant(call: GraphCall): GraphResult {
  const guidField = (name: "clientId" | "resourceId"): string => {
    const value = bodyString(call.body, name);
    if (value === undefined || !isGuid(value)) throw invalidProperty(name, RESOURCE);
    return value;
  };
  const clientId = guidField("clientId");
  const resourceId = guidField("resourceId");
  const consentType = bodyString(call.body, "consentType");
  if (consentType !== "AllPrincipals" && consentType !== "Principal") throw invalidProperty("consentType", RESOURCE);
  const rawPrincipal = (call.body as Record<string, unknown>)["principalId"] ?? null;
  const principalId = typeof rawPrincipal === "string" ? rawPrincipal : null;
  const principalValid = consentType === "Principal" ? principalId !== null && isGuid(principalId) : rawPrincipal === null;
  if (!principalValid) throw invalidProperty("principalId", RESOURCE);
  const scope = scopeOf(call.body, false);

  for (const spId of [clientId, resourceId]) {
    const sp = call.tenant.servicePrincipals.get(spId);
    if (!sp || !isVisible(sp, call.now)) throw resourceNotFound(spId);
  }
  const id = grantId(clientId, resourceId, principalId);
  // The id is the key: a second grant for the same client, resource (and principal) collides,
  // even while the first has not replicated to reads yet.
  if (call.tenant.grants.has(id)) throw new GraphError(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.");
  const grant: OAuth2PermissionGrant = {
    id,
    clientId,
    resourceId,
    consentType,
    principalId,
    scope,
    createdAt: call.now,
    visibleAt: call.now + call.ctx.faults.lagMs("create"),
  };
  call.tenant.grants.set(id, grant);
  return { status: 201, body: { "@odata.context": contextUrl(call, "oauth2PermissionGrants/$entity"), ...grantJson(grant) } };
}

/** `PATCH /oauth2PermissionGrants/{id} {scope}`: replaces the scope string. */
export function updateGrant(call: GraphCall, id: string): GraphResult {
  const grant = visibleGrant(call, id);
  rescopeGrant(grant, scopeOf(call.body, true), call.now, call.ctx.faults.lagMs("update"));
  return { status: 204 };
}

/** `DELETE /oauth2PermissionGrants/{id}`. */
export function deleteGrant(call: GraphCall, id: string): GraphResult {
  visibleGrant(call, id);
  removeGrant(call.tenant, id, call.now, call.ctx.faults.lagMs("delete"));
  return { status: 204 };
}
