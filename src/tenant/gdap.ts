/**
 * The GDAP pre-check: does the partner hold an active delegated admin relationship with the
 * customer, with a role that can consent an application? Read with the partner tenant's delegated
 * Graph token, and only when needed (a token failure, or a consent to come), so that reading a
 * converged tenant stays at one token and one batch.
 */
import type { GraphClient, GraphDelegatedAdminRelationship } from "../cloud/graph";
import type { Guid } from "../desired/model";
import type { AccessProblem } from "../live/model";

/**
 * Entra role template ids that allow consenting CIPP-SAM through Partner Center (any one of them).
 * The ids are Microsoft's well-known role template ids.
 */
export const CONSENT_CAPABLE_ROLES: ReadonlyMap<Guid, string> = new Map([
  ["62e90394-69f5-4237-9190-012177145e10", "Global Administrator"],
  ["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator"],
  ["158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator"],
]);

export type GdapCheck =
  | { readonly kind: "ok"; readonly relationship: string; readonly role: string }
  | { readonly kind: "no-relationship" }
  | { readonly kind: "roles-missing"; readonly relationships: readonly string[] };

const RELATIONSHIPS = "/tenantRelationships/delegatedAdminRelationships";

/** Checks the partner's active GDAP relationships with one customer (one Graph request). */
export async function checkGdap(partnerGraph: GraphClient, customerTenantId: Guid): Promise<GdapCheck> {
  const filter = `customer/tenantId eq '${customerTenantId}' and status eq 'active'`;
  const relationships = await partnerGraph.list<GraphDelegatedAdminRelationship>(`${RELATIONSHIPS}?$filter=${encodeURIComponent(filter)}`);
  return judge(relationships);
}

/** Decides from a customer's relationships whether consent is possible. */
export function judge(relationships: readonly GraphDelegatedAdminRelationship[]): GdapCheck {
  const active = relationships.filter((r) => r.status === "active");
  if (active.length === 0) return { kind: "no-relationship" };
  for (const r of active) {
    for (const role of r.accessDetails.unifiedRoles) {
      const name = CONSENT_CAPABLE_ROLES.get(role.roleDefinitionId.toLowerCase());
      if (name) return { kind: "ok", relationship: r.displayName ?? r.id, role: name };
    }
  }
  return { kind: "roles-missing", relationships: active.map((r) => r.displayName ?? r.id) };
}

/** The access problem a GDAP check reveals, or null when GDAP allows consent. */
export function gdapProblem(customerTenantId: Guid, check: GdapCheck, tokenCause?: string): AccessProblem | null {
  const because = tokenCause ? ` ${tokenCause}` : "";
  if (check.kind === "no-relationship") {
    return {
      kind: "no-gdap-relationship",
      message: `The partner has no active GDAP relationship with this customer (it may have expired or been terminated).${because}`,
      action:
        "Create or renew a GDAP relationship with this customer that includes Application Administrator or Cloud Application Administrator, and assign it to the service account's security group.",
    };
  }
  if (check.kind === "roles-missing") {
    return {
      kind: "gdap-roles-missing",
      message:
        `The active GDAP relationship(s) ${check.relationships.map((r) => `"${r}"`).join(", ")} grant none of ` +
        `${[...CONSENT_CAPABLE_ROLES.values()].join(", ")}.${because}`,
      action: "Add Application Administrator or Cloud Application Administrator to a GDAP relationship with this customer.",
    };
  }
  return null;
}
