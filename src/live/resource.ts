import type { GraphServicePrincipal } from "../cloud/graph";
import type { LiveResource } from "./model";

/** A resource service principal as Graph returns it, in the project's own words. */
export function liveResourceOf(sp: GraphServicePrincipal): LiveResource {
  return {
    servicePrincipalId: sp.id,
    appId: sp.appId.toLowerCase(),
    displayName: sp.displayName,
    appRoles: (sp.appRoles ?? [])
      .filter((r) => typeof r.value === "string")
      .map((r) => ({
        id: r.id.toLowerCase(),
        value: r.value as string,
        // Graph omits allowedMemberTypes on some first-party roles; those are application roles.
        assignableToApps: (r.allowedMemberTypes ?? ["Application"]).includes("Application"),
        enabled: r.isEnabled ?? true,
      })),
    scopes: (sp.oauth2PermissionScopes ?? [])
      .filter((s) => typeof s.value === "string")
      .map((s) => ({ id: s.id.toLowerCase(), value: s.value as string, enabled: s.isEnabled ?? true })),
  };
}
