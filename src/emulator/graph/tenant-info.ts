/**
 * Tenant-level reads a client makes before planning: the customer's licences (`subscribedSkus`)
 * and, in the partner tenant, its GDAP relationships
 * (`tenantRelationships/delegatedAdminRelationships`).
 */
import { createHash } from "node:crypto";
import type { GdapRelationshipSpec, SubscribedSkuSpec } from "../world";
import { collectionResult, type GraphCall, type GraphResult } from "./call";
import type { EntityShape } from "./odata";

/**
 * A stable GUID for a name the world spec does not give an id for (SKU and service plan ids), so
 * that repeated reads and separate emulator runs agree.
 */
function nameGuid(kind: string, name: string): string {
  const h = createHash("sha256").update(`${kind}:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const SKU_SHAPE: EntityShape<SubscribedSkuSpec> = {
  typeName: "microsoft.graph.subscribedSku",
  resourceName: "SubscribedSku",
  properties: ["id", "accountId", "accountName", "appliesTo", "capabilityStatus", "consumedUnits", "prepaidUnits", "servicePlans", "skuId", "skuPartNumber", "subscriptionIds"],
  filterable: {},
};

/** `GET /subscribedSkus`. */
export function listSubscribedSkus(call: GraphCall): GraphResult {
  const { tenant } = call;
  const toJson = (sku: SubscribedSkuSpec): Record<string, unknown> => {
    const skuId = sku.skuId ?? nameGuid("sku", sku.skuPartNumber);
    return {
      id: `${tenant.tenantId}_${skuId}`,
      accountId: tenant.tenantId,
      accountName: tenant.displayName,
      appliesTo: "User",
      capabilityStatus: "Enabled",
      consumedUnits: 1,
      prepaidUnits: { enabled: 25, suspended: 0, warning: 0, lockedOut: 0 },
      servicePlans: sku.servicePlans.map((name) => ({
        servicePlanId: nameGuid("servicePlan", name),
        servicePlanName: name,
        provisioningStatus: "Success",
        appliesTo: "User",
      })),
      skuId,
      skuPartNumber: sku.skuPartNumber,
      subscriptionIds: [nameGuid("subscription", `${tenant.tenantId}/${sku.skuPartNumber}`)],
    };
  };
  return collectionResult(call, tenant.subscribedSkus, SKU_SHAPE, toJson, "subscribedSkus");
}

const GDAP_SHAPE: EntityShape<GdapRelationshipSpec> = {
  typeName: "microsoft.graph.delegatedAdminRelationship",
  resourceName: "DelegatedAdminRelationship",
  properties: ["id", "displayName", "status", "customer", "accessDetails", "duration", "createdDateTime", "activatedDateTime", "lastModifiedDateTime", "endDateTime", "autoExtendDuration"],
  filterable: {
    status: { type: "Edm.String", read: (r) => r.status },
    "customer/tenantId": { type: "Edm.String", read: (r) => r.customerTenantId },
    displayName: { type: "Edm.String", read: (r) => r.displayName ?? null },
  },
};

const DAY_MS = 86_400_000;

/**
 * `GET /tenantRelationships/delegatedAdminRelationships`. Only the partner tenant has
 * relationships as a partner; any other tenant gets an empty collection.
 */
export function listDelegatedAdminRelationships(call: GraphCall): GraphResult {
  const { world } = call.ctx;
  const relationships = call.tenant.tenantId === world.partnerTenantId ? world.gdapRelationships : [];
  const toJson = (r: GdapRelationshipSpec): Record<string, unknown> => {
    const customer = world.tenants.get(r.customerTenantId);
    // The spec has no dates: active relationships end in a year, the others ended a month ago.
    const end = r.status === "active" ? call.now + 365 * DAY_MS : call.now - 30 * DAY_MS;
    const start = end - 730 * DAY_MS;
    const id = r.id ?? `${nameGuid("relationship", r.customerTenantId)}-${r.customerTenantId}`;
    return {
      // "The delegatedAdminRelationship object also contains an @odata.etag property as per RFC2616"
      // (Get delegatedAdminRelationship): a weak tag that changes with the relationship's state.
      "@odata.etag": `W/"${Buffer.from(`'"${nameGuid("etag", `${id}/${r.status}`)}"'`).toString("base64")}"`,
      id,
      displayName: r.displayName ?? `GDAP ${customer?.displayName ?? r.customerTenantId}`,
      duration: "P730D",
      status: r.status,
      autoExtendDuration: "PT0S",
      createdDateTime: new Date(start).toISOString(),
      activatedDateTime: new Date(start).toISOString(),
      lastModifiedDateTime: new Date(start).toISOString(),
      endDateTime: new Date(end).toISOString(),
      customer: { tenantId: r.customerTenantId, displayName: customer?.displayName ?? null },
      accessDetails: { unifiedRoles: r.roleTemplateIds.map((roleDefinitionId) => ({ roleDefinitionId })) },
    };
  };
  return collectionResult(call, relationships, GDAP_SHAPE, toJson, "tenantRelationships/delegatedAdminRelationships");
}
