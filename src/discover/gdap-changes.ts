/**
 * Which customers' GDAP access changed since a time, from what Graph says of the relationships and
 * their access assignments: a stateless alternative to the role record of `--gdap-changed`
 * (src/discover/gdap-roles.ts), for runs that cannot keep a file between them, such as the nightly
 * workflow (README: "Onboarding: GDAP discovery").
 */
import type { Guid } from "../desired/model";
import type { AssignedRoles, GdapRelationship } from "../tenant/gdap-directory";
import { isEffective } from "./compare";

export { parseSinceTime } from "./since-time";

export interface GdapChanges {
  /** Customer tenants whose GDAP access changed after `since`, sorted. */
  readonly tenants: readonly Guid[];
  /**
   * Of those, the tenants counted as changed because their access assignments could not be read:
   * a consent too many is harmless, a missing one leaves CIPP-SAM without the new access.
   */
  readonly unread: readonly Guid[];
}

/**
 * The customers with an effective relationship (at `now`) activated or last modified after
 * `since`, or one of whose access assignments was created or last modified after it. A time Graph
 * did not give counts as not after `since`.
 */
export function gdapChangedSince(
  relationships: readonly GdapRelationship[],
  assigned: ReadonlyMap<string, AssignedRoles>,
  since: number,
  now: number,
): GdapChanges {
  const after = (time: string | null): boolean => time !== null && Date.parse(time) > since;
  const tenants = new Set<Guid>();
  const unread = new Set<Guid>();
  for (const r of relationships) {
    if (!isEffective(r, now)) continue;
    if (after(r.activatedDateTime) || after(r.lastModifiedDateTime)) tenants.add(r.customerTenantId);
    const assignments = assigned.get(r.id);
    if (assignments === undefined) continue;
    if (!assignments.ok) {
      tenants.add(r.customerTenantId);
      unread.add(r.customerTenantId);
    } else if ((assignments.times ?? []).some((t) => after(t.createdDateTime) || after(t.lastModifiedDateTime))) {
      tenants.add(r.customerTenantId);
    }
  }
  return { tenants: [...tenants].sort(), unread: [...unread].sort() };
}

/** The effective relationships whose access assignments the comparison needs. */
export function relationshipsToRead(relationships: readonly GdapRelationship[], now: number): string[] {
  return relationships.filter((r) => isEffective(r, now)).map((r) => r.id);
}
