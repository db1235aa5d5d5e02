/**
 * GDAP as the partner tenant sees it in Graph: its delegated admin relationships
 * (`/tenantRelationships/delegatedAdminRelationships`), each relationship's access assignments
 * (`…/{id}/accessAssignments`), and the public facts of a customer tenant
 * (`/tenantRelationships/findTenantInformationByTenantId(tenantId='…')`), whose
 * `defaultDomainName` a relationship does not carry.
 *
 * Shapes follow Graph's v1.0 reference pages "delegatedAdminRelationship resource type",
 * "delegatedAdminAccessAssignment resource type" and "tenantInformation resource type"; both lists
 * page with `$top` (at most 300, as documented for them) and `@odata.nextLink`.
 */
import { createHash } from "node:crypto";
import { accessAssignmentsOf } from "../gdap-access";
import type { GdapAccessAssignmentSpec, GdapRelationshipSpec, World } from "../world";
import { collectionResult, contextUrl, type GraphCall, type GraphResult } from "./call";
import { GraphError } from "./errors";
import type { EntityShape } from "./odata";
import { PERMISSION_TABLE, type RouteKey } from "./permission-table";
import type { Operation } from "./routes";

const DAY_MS = 86_400_000;
/** Documented maximum `$top` of the relationship and access assignment lists. */
const MAX_GDAP_PAGE = 300;

function nameGuid(kind: string, name: string): string {
  const h = createHash("sha256").update(`${kind}:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The partner security group an access assignment names when the world spec names none. */
export function defaultGdapGroupId(partnerTenantId: string): string {
  return nameGuid("gdap-group", partnerTenantId);
}

const RELATIONSHIP_SHAPE: EntityShape<GdapRelationshipSpec> = {
  typeName: "microsoft.graph.delegatedAdminRelationship",
  resourceName: "DelegatedAdminRelationship",
  properties: [
    "id",
    "displayName",
    "status",
    "customer",
    "accessDetails",
    "duration",
    "createdDateTime",
    "activatedDateTime",
    "lastModifiedDateTime",
    "endDateTime",
    "autoExtendDuration",
  ],
  filterable: {
    status: { type: "Edm.String", read: (r) => r.status },
    "customer/tenantId": { type: "Edm.String", read: (r) => (r.withoutCustomer ? null : r.customerTenantId) },
    displayName: { type: "Edm.String", read: (r) => r.displayName ?? null },
  },
};

interface AssignmentItem {
  readonly relationshipId: string;
  readonly index: number;
  readonly spec: GdapAccessAssignmentSpec;
}

const ASSIGNMENT_SHAPE: EntityShape<AssignmentItem> = {
  typeName: "microsoft.graph.delegatedAdminAccessAssignment",
  resourceName: "DelegatedAdminAccessAssignment",
  properties: ["id", "status", "accessContainer", "accessDetails", "createdDateTime", "lastModifiedDateTime"],
  filterable: { status: { type: "Edm.String", read: (a) => a.spec.status ?? "active" } },
};

function relationshipId(r: GdapRelationshipSpec): string {
  // Graph's relationship ids are two GUIDs joined by a hyphen; loadWorld always gives one.
  return r.id ?? `${nameGuid("relationship", r.customerTenantId)}-${r.customerTenantId}`;
}

function refuseLargePages(call: GraphCall): void {
  const raw = call.query.get("$top");
  if (raw !== null && /^\d+$/.test(raw.trim()) && Number(raw) > MAX_GDAP_PAGE) {
    throw new GraphError(
      400,
      "BadRequest",
      `The limit of '${MAX_GDAP_PAGE}' for Top query has been exceeded. The value from the incoming request is '${raw}'.`,
    );
  }
}

function partnerRelationships(call: GraphCall): readonly GdapRelationshipSpec[] {
  const { world } = call.ctx;
  // Only the partner tenant has relationships as a partner; any other tenant sees none.
  return call.tenant.tenantId === world.partnerTenantId ? world.gdapRelationships : [];
}

function relationshipJson(world: World, r: GdapRelationshipSpec, now: number): Record<string, unknown> {
  const customer = world.tenants.get(r.customerTenantId);
  const effective = r.status === "active" || r.status === "expiring";
  const end = r.endDateTime !== undefined ? Date.parse(r.endDateTime) : effective ? now + 365 * DAY_MS : now - 30 * DAY_MS;
  const start = end - 730 * DAY_MS;
  const id = relationshipId(r);
  return {
    // "The delegatedAdminRelationship object also contains an @odata.etag property as per RFC2616"
    // (Get delegatedAdminRelationship): a weak tag that changes with the relationship's state.
    "@odata.etag": `W/"${Buffer.from(`'"${nameGuid("etag", `${id}/${r.status}/${r.endDateTime ?? ""}`)}"'`).toString("base64")}"`,
    id,
    displayName: r.displayName ?? `GDAP ${customer?.displayName ?? r.customerTenantId}`,
    duration: "P730D",
    status: r.status,
    autoExtendDuration: r.autoExtendDuration ?? "PT0S",
    createdDateTime: new Date(start).toISOString(),
    activatedDateTime: r.activatedDateTime ?? new Date(start).toISOString(),
    lastModifiedDateTime: r.lastModifiedDateTime ?? new Date(start).toISOString(),
    endDateTime: new Date(end).toISOString(),
    customer: r.withoutCustomer ? null : { tenantId: r.customerTenantId, displayName: customer?.displayName ?? null },
    accessDetails: { unifiedRoles: r.roleTemplateIds.map((roleDefinitionId) => ({ roleDefinitionId })) },
  };
}

/** `GET /tenantRelationships/delegatedAdminRelationships`. */
export function listDelegatedAdminRelationships(call: GraphCall): GraphResult {
  refuseLargePages(call);
  const { world } = call.ctx;
  return collectionResult(
    call,
    partnerRelationships(call),
    RELATIONSHIP_SHAPE,
    (r) => relationshipJson(world, r, call.now),
    "tenantRelationships/delegatedAdminRelationships",
  );
}

function findRelationship(call: GraphCall, id: string): GdapRelationshipSpec {
  const found = partnerRelationships(call).find((r) => relationshipId(r).toLowerCase() === id.toLowerCase());
  if (!found) throw new GraphError(404, "NotFound", `The delegated admin relationship with id '${id}' was not found.`);
  return found;
}

/** `GET /tenantRelationships/delegatedAdminRelationships/{id}`. */
export function getDelegatedAdminRelationship(call: GraphCall, id: string): GraphResult {
  const r = findRelationship(call, id);
  return {
    status: 200,
    body: {
      "@odata.context": contextUrl(call, "tenantRelationships/delegatedAdminRelationships/$entity"),
      ...relationshipJson(call.ctx.world, r, call.now),
    },
  };
}

/** `GET /tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments`. */
export function listAccessAssignments(call: GraphCall, id: string): GraphResult {
  refuseLargePages(call);
  const r = findRelationship(call, id);
  const rid = relationshipId(r);
  const items = accessAssignmentsOf(r).map((spec, index) => ({ relationshipId: rid, index, spec }));
  const group = defaultGdapGroupId(call.ctx.world.partnerTenantId);
  const created = new Date(call.now - 30 * DAY_MS).toISOString();
  const toJson = (a: AssignmentItem): Record<string, unknown> => ({
    "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
    id: a.spec.id ?? nameGuid("access-assignment", `${a.relationshipId}/${a.index}`),
    status: a.spec.status ?? "active",
    createdDateTime: a.spec.createdDateTime ?? created,
    lastModifiedDateTime: a.spec.lastModifiedDateTime ?? a.spec.createdDateTime ?? created,
    accessContainer: { accessContainerId: a.spec.securityGroupId ?? group, accessContainerType: "securityGroup" },
    accessDetails: { unifiedRoles: a.spec.roleTemplateIds.map((roleDefinitionId) => ({ roleDefinitionId })) },
  });
  return collectionResult(
    call,
    items,
    ASSIGNMENT_SHAPE,
    toJson,
    `tenantRelationships/delegatedAdminRelationships('${rid}')/accessAssignments`,
  );
}

const FIND_BY_TENANT_ID = /^findTenantInformationByTenantId\(tenantId='([^']*)'\)$/i;

/** `GET /tenantRelationships/findTenantInformationByTenantId(tenantId='…')`: any tenant of the world. */
export function findTenantInformation(call: GraphCall, tenantId: string): GraphResult {
  const tenant = call.ctx.world.tenants.get(tenantId.toLowerCase());
  if (!tenant) throw new GraphError(404, "Request_ResourceNotFound", `Tenant with id '${tenantId}' was not found.`);
  return {
    status: 200,
    body: {
      "@odata.context": contextUrl(call, "microsoft.graph.tenantInformation"),
      tenantId: tenant.tenantId,
      federationBrandName: null,
      displayName: tenant.displayName,
      defaultDomainName: tenant.defaultDomain,
    },
  };
}

type GetOnly = Readonly<{ GET?: Operation }>;

const get = (route: RouteKey, run: Operation["run"]): GetOnly => ({
  GET: { route, requirement: PERMISSION_TABLE[route], resourceUnits: 1, isWrite: false, run },
});

/**
 * The operations under `/tenantRelationships/` (`rest` is the path after it), or null when
 * the path names none of them.
 */
export function tenantRelationshipMethods(rest: readonly string[]): GetOnly | null {
  const [collection, id, navigation] = rest;
  const find = collection === undefined ? null : FIND_BY_TENANT_ID.exec(collection);
  if (find && rest.length === 1) {
    return get("GET /tenantRelationships/findTenantInformationByTenantId(tenantId='{tenant-id}')", (c) =>
      findTenantInformation(c, find[1] ?? ""),
    );
  }
  if (collection?.toLowerCase() !== "delegatedadminrelationships") return null;
  if (rest.length === 1) return get("GET /tenantRelationships/delegatedAdminRelationships", listDelegatedAdminRelationships);
  if (id !== undefined && rest.length === 2)
    return get("GET /tenantRelationships/delegatedAdminRelationships/{id}", (c) => getDelegatedAdminRelationship(c, id));
  if (id !== undefined && rest.length === 3 && navigation?.toLowerCase() === "accessassignments") {
    return get("GET /tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments", (c) => listAccessAssignments(c, id));
  }
  return null;
}
