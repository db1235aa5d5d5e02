/**
 * `/servicePrincipals`: list, get (by id or by the `(appId='…')` alternate key), create and
 * delete, with the directory's duplicate, unknown-application and licence errors.
 */
import {
  addServicePrincipal,
  canInstantiate,
  findServicePrincipal,
  isGuid,
  permissionsOf,
  readableServicePrincipals,
  removeServicePrincipal,
} from "../state";
import type { ServicePrincipal, World } from "../world";
import { bodyString, collectionResult, contextUrl, type GraphCall, type GraphResult, isVisible } from "./call";
import { GraphError, invalidObjectId, invalidProperty, resourceNotFound } from "./errors";
import { applySelect, type EntityShape, parseCollectionQuery, parseSelect, rejectUnsupportedOptions } from "./odata";

/** How a path names a service principal. */
export type ServicePrincipalRef = { readonly by: "id"; readonly id: string } | { readonly by: "appId"; readonly appId: string };

const SERVICE_PRINCIPAL_PROPERTIES = [
  "id",
  "deletedDateTime",
  "accountEnabled",
  "addIns",
  "alternativeNames",
  "appDescription",
  "appDisplayName",
  "appId",
  "applicationTemplateId",
  "appOwnerOrganizationId",
  "appRoleAssignmentRequired",
  "appRoles",
  "description",
  "disabledByMicrosoftStatus",
  "displayName",
  "homepage",
  "info",
  "keyCredentials",
  "loginUrl",
  "logoutUrl",
  "notes",
  "notificationEmailAddresses",
  "oauth2PermissionScopes",
  "passwordCredentials",
  "publisherName",
  "preferredSingleSignOnMode",
  "preferredTokenSigningKeyThumbprint",
  "replyUrls",
  "resourceSpecificApplicationPermissions",
  "samlSingleSignOnSettings",
  "servicePrincipalNames",
  "servicePrincipalType",
  "signInAudience",
  "tags",
  "tokenEncryptionKeyId",
  "verifiedPublisher",
] as const;

export const SERVICE_PRINCIPAL_SHAPE: EntityShape<ServicePrincipal> = {
  typeName: "microsoft.graph.servicePrincipal",
  resourceName: "ServicePrincipal",
  properties: SERVICE_PRINCIPAL_PROPERTIES,
  // "List servicePrincipals" and "Advanced query capabilities on Microsoft Entra ID objects": id and
  // appId are strings on directory objects (a GUID is quoted); displayName also takes startswith.
  filterable: {
    id: { type: "Edm.String", read: (sp) => sp.id },
    appId: { type: "Edm.String", read: (sp) => sp.appId, startsWith: true },
    displayName: { type: "Edm.String", read: (sp) => sp.displayName, startsWith: true },
  },
  advanced: { orderable: { displayName: (sp) => sp.displayName }, searchable: { displayName: (sp) => sp.displayName } },
};

function publisherNameOf(sp: ServicePrincipal, world: World): string {
  if (world.firstPartyApps.has(sp.appId)) return "Microsoft Services";
  const home = world.applications.get(sp.appId)?.homeTenantId;
  return (home !== undefined ? world.tenants.get(home)?.displayName : undefined) ?? sp.displayName;
}

/** The service principal as Graph serialises it (Graph v1.0: "servicePrincipal resource type"). */
export function servicePrincipalJson(sp: ServicePrincipal, world: World): Record<string, unknown> {
  const published = permissionsOf(world, sp.appId);
  return {
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: true,
    addIns: [],
    alternativeNames: [],
    appDescription: null,
    appDisplayName: sp.displayName,
    appId: sp.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: sp.appOwnerOrganizationId,
    appRoleAssignmentRequired: false,
    appRoles: published.appRoles.map((r) => ({
      allowedMemberTypes: r.allowedMemberTypes,
      description: r.description ?? r.displayName ?? r.value,
      displayName: r.displayName ?? r.value,
      id: r.id,
      isEnabled: r.isEnabled,
      origin: "Application",
      value: r.value,
    })),
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: sp.displayName,
    homepage: null,
    info: { termsOfServiceUrl: null, supportUrl: null, privacyStatementUrl: null, marketingUrl: null, logoUrl: null },
    keyCredentials: [],
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    oauth2PermissionScopes: published.oauth2PermissionScopes.map((s) => ({
      adminConsentDescription: s.adminConsentDisplayName ?? s.value,
      adminConsentDisplayName: s.adminConsentDisplayName ?? s.value,
      id: s.id,
      isEnabled: s.isEnabled,
      type: s.type ?? "Admin",
      userConsentDescription: null,
      userConsentDisplayName: null,
      value: s.value,
    })),
    passwordCredentials: [],
    preferredSingleSignOnMode: null,
    preferredTokenSigningKeyThumbprint: null,
    replyUrls: [],
    resourceSpecificApplicationPermissions: [],
    samlSingleSignOnSettings: null,
    // The display name of the tenant that registered the application ("Microsoft Services" for first-party apps).
    publisherName: publisherNameOf(sp, world),
    servicePrincipalNames: [sp.appId],
    servicePrincipalType: "Application",
    signInAudience: "AzureADMultipleOrgs",
    tags: [],
    tokenEncryptionKeyId: null,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    ...sp.updated,
  };
}

/**
 * The service principal a path names, if reads can see it yet.
 * @throws GraphError 404 Request_ResourceNotFound.
 */
export function resolveServicePrincipal(call: GraphCall, ref: ServicePrincipalRef): ServicePrincipal {
  if (ref.by === "id" && !isGuid(ref.id)) throw invalidObjectId(ref.id);
  const sp = ref.by === "id" ? call.tenant.servicePrincipals.get(ref.id) : findServicePrincipal(call.tenant, ref.appId);
  if (!sp || !isVisible(sp, call.now)) throw resourceNotFound(ref.by === "id" ? ref.id : ref.appId);
  return sp;
}

/**
 * The service principal a path names, as reads see it: one deleted a moment ago is still found
 * while its deletion replicates.
 * @throws GraphError 400 Request_BadRequest for an id that is not a GUID; 404 Request_ResourceNotFound.
 */
export function readServicePrincipal(call: GraphCall, ref: ServicePrincipalRef): ServicePrincipal {
  if (ref.by === "id" && !isGuid(ref.id)) throw invalidObjectId(ref.id);
  const sp = readableServicePrincipals(call.tenant, call.now).find((s) => (ref.by === "id" ? s.id === ref.id : s.appId === ref.appId));
  if (!sp) throw resourceNotFound(ref.by === "id" ? ref.id : ref.appId);
  return sp;
}

/** `GET /servicePrincipals`. */
export function listServicePrincipals(call: GraphCall): GraphResult {
  const visible = readableServicePrincipals(call.tenant, call.now);
  return collectionResult(call, visible, SERVICE_PRINCIPAL_SHAPE, (sp) => servicePrincipalJson(sp, call.ctx.world), "servicePrincipals");
}

/**
 * `GET /servicePrincipals/$count`: the number as text/plain, an advanced query that needs
 * `ConsistencyLevel: eventual` ("List servicePrincipals", example 2).
 */
export function countServicePrincipals(call: GraphCall): GraphResult {
  if (!call.eventual) throw new GraphError(400, "Request_BadRequest", "$count is not currently supported.");
  rejectUnsupportedOptions(call.query, new Set(["$filter", "$search"]));
  // The segment itself is the count: the collection's options are read as with $count=true.
  const query = new URLSearchParams(call.query);
  query.set("$count", "true");
  const matches = parseCollectionQuery(query, SERVICE_PRINCIPAL_SHAPE, true).matches;
  const visible = [...call.tenant.servicePrincipals.values()].filter((sp) => isVisible(sp, call.now) && matches(sp));
  return { status: 200, body: String(visible.length) };
}

/** `GET /servicePrincipals/{id}` and `GET /servicePrincipals(appId='{appId}')`. */
export function getServicePrincipal(call: GraphCall, ref: ServicePrincipalRef): GraphResult {
  rejectUnsupportedOptions(call.query, new Set(["$select"]));
  const select = parseSelect(call.query, SERVICE_PRINCIPAL_SHAPE);
  const sp = readServicePrincipal(call, ref);
  const fragment = select === null ? "servicePrincipals/$entity" : `servicePrincipals(${select.join(",")})/$entity`;
  return {
    status: 200,
    body: { "@odata.context": contextUrl(call, fragment), ...applySelect(servicePrincipalJson(sp, call.ctx.world), select) },
  };
}

/**
 * `POST /servicePrincipals {appId}`. The duplicate check sees service principals that have not
 * replicated yet, as the directory's key constraint does.
 */
export function createServicePrincipal(call: GraphCall): GraphResult {
  const appId = bodyString(call.body, "appId");
  if (appId === undefined || !isGuid(appId)) throw invalidProperty("appId", "ServicePrincipal");
  const { world } = call.ctx;
  if (findServicePrincipal(call.tenant, appId)) {
    throw new GraphError(
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
    );
  }
  if (!world.applications.has(appId) && !world.firstPartyApps.has(appId)) {
    throw new GraphError(
      400,
      "Request_BadRequest",
      `The appId '${appId}' of the service principal does not reference a valid application object.`,
    );
  }
  const licence = canInstantiate(world, call.tenant.tenantId, appId);
  if (!licence.ok) {
    // Graph's exact error for an unlicensed first-party workload is not documented. This keeps the directory's usual code and says plainly that the
    // licence is missing, so that clients classify the resource as not applicable.
    throw new GraphError(
      400,
      "Request_BadRequest",
      `The service principal cannot be created: the tenant is not licensed for this application (appId '${appId}'). ${licence.reason}`,
    );
  }
  const sp = addServicePrincipal(world, call.tenant, appId, call.now, call.ctx.faults.lagMs("create"), call.ctx.ids);
  return { status: 201, body: { "@odata.context": contextUrl(call, "servicePrincipals/$entity"), ...servicePrincipalJson(sp, world) } };
}

/** Properties "Update servicePrincipal" documents as updatable that the emulator keeps, by JSON type. */
const UPDATABLE: Readonly<Record<string, "boolean" | "string" | "strings">> = {
  accountEnabled: "boolean",
  appRoleAssignmentRequired: "boolean",
  description: "string",
  displayName: "string",
  homepage: "string",
  loginUrl: "string",
  logoutUrl: "string",
  notes: "string",
  notificationEmailAddresses: "strings",
  preferredSingleSignOnMode: "string",
  replyUrls: "strings",
  tags: "strings",
};

function fitsType(value: unknown, type: "boolean" | "string" | "strings"): boolean {
  switch (type) {
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return value === null || typeof value === "string";
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

/**
 * `PATCH /servicePrincipals/{id}` → 204 ("Update servicePrincipal"). Properties the type does not
 * have are refused as OData refuses them; documented ones the emulator does not model (appRoles,
 * keyCredentials, …) are refused rather than silently dropped.
 */
export function updateServicePrincipal(call: GraphCall, ref: ServicePrincipalRef): GraphResult {
  const body = call.body;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new GraphError(400, "BadRequest", "Empty Payload. JSON content expected.");
  const changes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const type = UPDATABLE[name];
    if (type === undefined) {
      if (!(SERVICE_PRINCIPAL_PROPERTIES as readonly string[]).includes(name)) {
        throw new GraphError(
          400,
          "BadRequest",
          `The property '${name}' does not exist on type 'microsoft.graph.servicePrincipal'. Make sure to only use property names that are defined by the type.`,
        );
      }
      throw new GraphError(400, "Request_BadRequest", `Property '${name}' cannot be updated by this emulator.`);
    }
    if (!fitsType(value, type)) throw invalidProperty(name, "ServicePrincipal");
    changes[name] = value;
  }
  const sp = resolveServicePrincipal(call, ref);
  sp.updated = { ...sp.updated, ...changes };
  if (typeof changes["displayName"] === "string") sp.displayName = changes["displayName"];
  return { status: 204 };
}

/** `DELETE /servicePrincipals/{id}` (or by alternate key): its assignments and grants go with it. */
export function deleteServicePrincipal(call: GraphCall, ref: ServicePrincipalRef): GraphResult {
  const sp = resolveServicePrincipal(call, ref);
  removeServicePrincipal(call.tenant, sp.id, call.now, call.ctx.faults.lagMs("delete"));
  return { status: 204 };
}
