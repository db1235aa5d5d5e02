/**
 * Which licences a Microsoft workload needs before its service principal can exist in a tenant.
 * A tenant without any of the service plans cannot hold the resource application, so its
 * permissions are "not applicable" there rather than a failure.
 *
 * Only workloads known to refuse their service principal without a licence are listed; every
 * other resource application is assumed available, and a failed creation is then reported as
 * what it is. Add an entry only with the service plan names Microsoft publishes in its
 * "Product names and service plan identifiers for licensing" list.
 */
import type { Guid } from "../desired/model";

export interface LicensedWorkload {
  readonly appId: Guid;
  /** The product name a person recognises. */
  readonly workload: string;
  /** Any of these service plans licenses it. */
  readonly servicePlans: readonly string[];
}

export const LICENSED_WORKLOADS: readonly LicensedWorkload[] = [
  {
    // WindowsDefenderATP: Defender for Endpoint P2 (WINDEFATP), P1 (MDE_LITE) and
    // Defender for Business (MDE_SMB, also inside Microsoft 365 Business Premium).
    appId: "fc780465-2017-40d4-a0c5-307022471b92",
    workload: "Microsoft Defender for Endpoint",
    servicePlans: ["WINDEFATP", "MDE_LITE", "MDE_SMB"],
  },
  {
    // Azure Rights Management: the RMS plans of Office 365 E3/E5 (RMS_S_ENTERPRISE) and of
    // Azure Information Protection P1/P2 (RMS_S_PREMIUM, RMS_S_PREMIUM2).
    appId: "00000012-0000-0000-c000-000000000000",
    workload: "Microsoft Rights Management Services",
    servicePlans: ["RMS_S_ENTERPRISE", "RMS_S_PREMIUM", "RMS_S_PREMIUM2"],
  },
];

/** A subscribed SKU as far as licensing cares. */
export interface LicenceSku {
  readonly skuPartNumber: string;
  readonly capabilityStatus?: string;
  readonly servicePlans: readonly { readonly servicePlanName: string; readonly provisioningStatus?: string }[];
}

/** Service plans that actually license something: a disabled plan or a deleted subscription does not. */
export function activeServicePlans(skus: readonly LicenceSku[]): Set<string> {
  const plans = new Set<string>();
  for (const sku of skus) {
    if (sku.capabilityStatus === "Deleted" || sku.capabilityStatus === "Suspended") continue;
    for (const plan of sku.servicePlans) {
      if (plan.provisioningStatus !== "Disabled") plans.add(plan.servicePlanName.toUpperCase());
    }
  }
  return plans;
}

/**
 * Why the resource application cannot be added to a tenant holding `plans`, or null when nothing
 * known prevents it.
 */
export function unlicensedReason(appId: Guid, plans: ReadonlySet<string>): string | null {
  const rule = LICENSED_WORKLOADS.find((w) => w.appId === appId.toLowerCase());
  if (!rule || rule.servicePlans.some((p) => plans.has(p))) return null;
  return `${rule.workload} is not licensed in this tenant (no ${listWithOr(rule.servicePlans)} service plan)`;
}

function listWithOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
