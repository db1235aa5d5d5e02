/**
 * A resource service principal as Graph's 201 answer to its creation describes it (the full
 * object, with its published app roles and scopes). Planning against it directly saves reading
 * the tenant again before the app roles on the new resource can be written.
 */
import type { GraphServicePrincipal } from "../cloud/graph";
import type { LiveResource } from "../live/model";
import { liveResourceOf } from "../live/resource";

/** The live resource a creation answer describes, or null when the answer lacks what planning needs. */
export function resourceFromCreated(body: unknown): LiveResource | null {
  if (typeof body !== "object" || body === null) return null;
  const sp = body as Partial<GraphServicePrincipal>;
  if (
    typeof sp.id !== "string" ||
    typeof sp.appId !== "string" ||
    !Array.isArray(sp.appRoles) ||
    !Array.isArray(sp.oauth2PermissionScopes)
  ) {
    return null;
  }
  return liveResourceOf({ ...sp, displayName: typeof sp.displayName === "string" ? sp.displayName : sp.appId } as GraphServicePrincipal);
}
