/**
 * The partner tenant rule: Microsoft Partner Center's delegated scope lets CIPP call Partner
 * Center as the partner's signed-in user, which only means something in the partner's own
 * tenant. Customer tenants never get it.
 */
import type { PermissionSet } from "./model";

/** Microsoft Partner Center's appId. */
export const PARTNER_CENTER_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
/** The one delegated scope CIPP-SAM holds on Partner Center. */
export const PARTNER_CENTER_SCOPE = "user_impersonation";

/**
 * Adds Partner Center's scope for the partner tenant (when the set lacks it) and takes it away
 * from every other tenant, dropping the resource once nothing is left on it.
 */
export function withPartnerCenterRule(set: PermissionSet, forPartnerTenant: boolean): PermissionSet {
  const existing = set.resources.find((r) => r.appId === PARTNER_CENTER_APP_ID);
  if (forPartnerTenant) {
    if (existing?.scopes.includes(PARTNER_CENTER_SCOPE)) return set;
    const others = set.resources.filter((r) => r !== existing);
    const partnerCenter = existing
      ? { ...existing, scopes: [...existing.scopes, PARTNER_CENTER_SCOPE] }
      : {
          appId: PARTNER_CENTER_APP_ID,
          displayName: "Microsoft Partner Center",
          appRoles: [],
          scopes: [PARTNER_CENTER_SCOPE],
          unpublishedScopes: [],
        };
    return { resources: existing ? set.resources.map((r) => (r === existing ? partnerCenter : r)) : [...others, partnerCenter] };
  }
  if (!existing) return set;
  const scopes = existing.scopes.filter((s) => s !== PARTNER_CENTER_SCOPE);
  const emptied = scopes.length === 0 && existing.appRoles.length === 0 && existing.unpublishedScopes.length === 0;
  return {
    resources: emptied
      ? set.resources.filter((r) => r !== existing)
      : set.resources.map((r) => (r === existing ? { ...existing, scopes } : r)),
  };
}
