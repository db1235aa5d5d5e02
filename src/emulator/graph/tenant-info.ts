/**
 * Tenant-level reads a client makes before planning: the customer's licences (`subscribedSkus`).
 * GDAP relationships are in gdap.ts.
 */
import { createHash } from "node:crypto";
import type { SubscribedSkuSpec } from "../world";
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
  properties: [
    "id",
    "accountId",
    "accountName",
    "appliesTo",
    "capabilityStatus",
    "consumedUnits",
    "prepaidUnits",
    "servicePlans",
    "skuId",
    "skuPartNumber",
    "subscriptionIds",
  ],
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
