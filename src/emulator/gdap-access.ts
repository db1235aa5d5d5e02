/**
 * What a GDAP relationship gives the partner's users in a customer tenant, as the token endpoint,
 * Graph and Partner Center decide it: a relationship is in effect while it is active (or
 * expiring) and before its end date, unless it extends itself; its roles reach the partner's
 * users only through its active access assignments (a relationship whose world spec lists none
 * assigns all its roles).
 */
import type { GdapAccessAssignmentSpec, GdapRelationshipSpec, World } from "./world";

const IN_EFFECT = new Set(["active", "expiring"]);
const NO_EXTENSION = new Set(["PT0S", "P0D"]);

/** The relationship's access assignments: as specified, or one active assignment of all its roles. */
export function accessAssignmentsOf(r: GdapRelationshipSpec): readonly GdapAccessAssignmentSpec[] {
  return r.accessAssignments ?? [{ roleTemplateIds: r.roleTemplateIds, status: "active" }];
}

export function relationshipInEffect(r: GdapRelationshipSpec, now: number): boolean {
  if (!IN_EFFECT.has(r.status)) return false;
  if (r.endDateTime === undefined || !NO_EXTENSION.has(r.autoExtendDuration ?? "PT0S")) return true;
  return Date.parse(r.endDateTime) > now;
}

/** The Entra role templates the partner's relationships in effect give its users in `customerTenantId`. */
export function effectiveGdapRoles(world: World, customerTenantId: string, now: number): Set<string> {
  const roles = new Set<string>();
  for (const r of world.gdapRelationships) {
    if (r.customerTenantId !== customerTenantId || !relationshipInEffect(r, now)) continue;
    for (const a of accessAssignmentsOf(r)) {
      if ((a.status ?? "active") === "active") for (const id of a.roleTemplateIds) roles.add(id.toLowerCase());
    }
  }
  return roles;
}
