/**
 * Proof that a declared default domain belongs to the declared tenant id. A reviewer reads the
 * domain; the tool acts on the id. Before anything is written, the domain must be one of the
 * tenant's verified domains (Graph's organization `verifiedDomains`, read with the same token in
 * the same `$batch` as the rest of the tenant) or, for a tenant CIPP-SAM cannot read yet, Entra
 * ID's tenant discovery must name the declared id as the domain's owner.
 */
import type { DiscoveredTenant } from "../cloud/tenant-discovery";
import type { DesiredTenant } from "../desired/model";
import type { AccessProblem, DomainProof } from "./model";

/** An organization object as `GET /organization?$select=id,verifiedDomains` returns it. */
export interface GraphOrganization {
  readonly id: string;
  readonly verifiedDomains?: readonly { readonly name?: string; readonly isDefault?: boolean }[];
}

const fix = (desired: DesiredTenant): string =>
  `Correct tenantId or defaultDomain in ${desired.source.file} so that both name the same tenant. Nothing is sent to a tenant whose domain is not proven.`;

/** The proof from the organization read in the tenant, or the problem that refuses the tenant. */
export function proofFromOrganization(desired: DesiredTenant, organizations: readonly GraphOrganization[]): DomainProof | AccessProblem {
  const organization = organizations[0];
  if (organization?.id.toLowerCase() !== desired.tenantId.toLowerCase()) {
    return {
      kind: "domain-mismatch",
      message: `The organization read with a token for tenant ${desired.tenantId} is ${organization?.id ?? "missing"}; the declared domain ${desired.defaultDomain} cannot be proven.`,
      action: fix(desired),
    };
  }
  const verified = (organization.verifiedDomains ?? []).flatMap((d) => (typeof d.name === "string" ? [d.name] : []));
  const match = verified.find((name) => name.toLowerCase() === desired.defaultDomain.toLowerCase());
  if (match !== undefined) return { domain: match, by: "verified-domains" };
  const shown = verified.slice(0, 5).join(", ") + (verified.length > 5 ? `, … (${verified.length} in all)` : "");
  return {
    kind: "domain-mismatch",
    message:
      `The declaration names defaultDomain ${desired.defaultDomain}, but tenant ${desired.tenantId} does not own it: its verified domains are ` +
      `${shown === "" ? "none" : shown}.`,
    action: fix(desired),
  };
}

/** The proof from Entra ID's tenant discovery of the declared domain, or the problem that refuses the tenant. */
export function proofFromDiscovery(desired: DesiredTenant, discovered: DiscoveredTenant): DomainProof | AccessProblem {
  if (discovered.kind === "unknown-domain") {
    return {
      kind: "domain-mismatch",
      message: `The declared defaultDomain ${desired.defaultDomain} belongs to no tenant Entra ID knows (${discovered.detail}), so it cannot be tenant ${desired.tenantId}'s.`,
      action: fix(desired),
    };
  }
  if (discovered.tenantId === desired.tenantId.toLowerCase()) return { domain: desired.defaultDomain, by: "tenant-discovery" };
  return {
    kind: "domain-mismatch",
    message: `The declaration names defaultDomain ${desired.defaultDomain} and tenantId ${desired.tenantId}, but Entra ID says ${desired.defaultDomain} belongs to tenant ${discovered.tenantId}.`,
    action: fix(desired),
  };
}

/** The problem when the domain could not be checked at all: refused too, since nothing proves it. */
export function unprovenDomain(desired: DesiredTenant, why: string): AccessProblem {
  return {
    kind: "domain-mismatch",
    message: `Whether ${desired.defaultDomain} belongs to tenant ${desired.tenantId} could not be checked: ${why}`,
    action: "Run again; nothing is sent to a tenant whose declared domain is not proven.",
  };
}

export function isProof(value: DomainProof | AccessProblem): value is DomainProof {
  return "domain" in value && "by" in value;
}
