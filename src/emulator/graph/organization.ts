/**
 * The tenant's own organisation and its domains: `GET /organization` (with `verifiedDomains`) and
 * `GET /domains`, as Graph's organization and domain resources describe them. A tenant's domains
 * are its default domain and any others its world spec lists under `domains`, all verified.
 */
import type { TenantState } from "../world";
import { collectionResult, type GraphCall, type GraphResult } from "./call";
import type { EntityShape } from "./odata";

interface Domain {
  readonly name: string;
  readonly isDefault: boolean;
  readonly isInitial: boolean;
}

/** The tenant's verified domains: the default domain first, then the spec's others. */
function domainsOf(call: GraphCall, tenant: TenantState): Domain[] {
  const spec = call.ctx.world.spec.tenants.find((t) => t.tenantId.toLowerCase() === tenant.tenantId.toLowerCase());
  const names = [tenant.defaultDomain, ...(spec?.domains ?? [])];
  const seen = new Set<string>();
  return names
    .filter((name) => !seen.has(name.toLowerCase()) && seen.add(name.toLowerCase()))
    .map((name, i) => ({
      name,
      isDefault: i === 0,
      isInitial:
        name.toLowerCase().endsWith(".onmicrosoft.com") && names.findIndex((n) => n.toLowerCase().endsWith(".onmicrosoft.com")) === i,
    }));
}

const ORGANIZATION_SHAPE: EntityShape<TenantState> = {
  typeName: "microsoft.graph.organization",
  resourceName: "Organization",
  properties: ["id", "displayName", "verifiedDomains", "tenantType", "createdDateTime", "countryLetterCode", "preferredLanguage"],
  filterable: {},
};

/** `GET /organization`: a collection of one, the tenant the token is for. */
export function listOrganization(call: GraphCall): GraphResult {
  const tenant = call.tenant;
  const toJson = (t: TenantState): Record<string, unknown> => ({
    id: t.tenantId,
    displayName: t.displayName,
    tenantType: "AAD",
    createdDateTime: "2020-01-01T00:00:00Z",
    countryLetterCode: "US",
    preferredLanguage: "en",
    verifiedDomains: domainsOf(call, t).map((d) => ({
      capabilities: d.isInitial ? "Email, OfficeCommunicationsOnline" : "Email",
      isDefault: d.isDefault,
      isInitial: d.isInitial,
      name: d.name,
      type: "Managed",
    })),
  });
  return collectionResult(call, [tenant], ORGANIZATION_SHAPE, toJson, "organization");
}

const DOMAIN_SHAPE: EntityShape<Domain> = {
  typeName: "microsoft.graph.domain",
  resourceName: "Domain",
  properties: [
    "id",
    "authenticationType",
    "isAdminManaged",
    "isDefault",
    "isInitial",
    "isRoot",
    "isVerified",
    "supportedServices",
    "state",
  ],
  filterable: { id: { type: "Edm.String", read: (d) => d.name } },
};

/** `GET /domains`: every domain of the tenant, all verified. */
export function listDomains(call: GraphCall): GraphResult {
  const toJson = (d: Domain): Record<string, unknown> => ({
    id: d.name,
    authenticationType: "Managed",
    isAdminManaged: true,
    isDefault: d.isDefault,
    isInitial: d.isInitial,
    isRoot: true,
    isVerified: true,
    supportedServices: d.isInitial ? ["Email", "OfficeCommunicationsOnline"] : ["Email"],
    state: null,
  });
  return collectionResult(call, domainsOf(call, call.tenant), DOMAIN_SHAPE, toJson, "domains");
}
