/**
 * The live state of one tenant as Microsoft Graph reports it: what is actually consented.
 * Pure data in the project's own vocabulary; the Graph wire shapes live in src/cloud/.
 */
import type { Guid } from "../desired/model";

/** An app role a resource publishes. */
export interface PublishedAppRole {
  readonly id: Guid;
  readonly value: string;
  /** False when the role cannot be assigned to an application (allowedMemberTypes lacks "Application"). */
  readonly assignableToApps: boolean;
  readonly enabled: boolean;
}

/** A delegated scope a resource publishes. */
export interface PublishedScope {
  readonly id: Guid;
  readonly value: string;
  readonly enabled: boolean;
}

/** A resource application's service principal in the tenant. */
export interface LiveResource {
  readonly servicePrincipalId: Guid;
  readonly appId: Guid;
  readonly displayName: string;
  readonly appRoles: readonly PublishedAppRole[];
  readonly scopes: readonly PublishedScope[];
}

/** An app role assignment held by CIPP-SAM's service principal. */
export interface LiveAppRoleAssignment {
  readonly id: string;
  readonly resourceId: Guid;
  readonly appRoleId: Guid;
}

/** A delegated permission grant whose client is CIPP-SAM's service principal. */
export interface LiveGrant {
  readonly id: string;
  readonly resourceId: Guid;
  readonly consentType: "AllPrincipals" | "Principal";
  readonly principalId: Guid | null;
  /** Scope names, in the order Graph returned them. */
  readonly scopes: readonly string[];
}

/** Why a resource application's service principal cannot be created in this tenant. */
export interface UnavailableResource {
  readonly appId: Guid;
  readonly reason: string;
}

/** Everything that decides a tenant's plan, read in one go. */
export interface LiveTenant {
  readonly tenantId: Guid;
  /** CIPP-SAM's service principal, or null when the app has not been consented in the tenant. */
  readonly client: { readonly servicePrincipalId: Guid; readonly displayName: string } | null;
  /** Resource service principals present in the tenant, by appId. */
  readonly resources: ReadonlyMap<Guid, LiveResource>;
  /** Resource applications absent from the tenant that cannot be added (for example, no licence). */
  readonly unavailable: readonly UnavailableResource[];
  readonly appRoleAssignments: readonly LiveAppRoleAssignment[];
  readonly grants: readonly LiveGrant[];
  /** Scopes the delegated token used for the read carried (decides what the refresh can write). */
  readonly tokenScopes: readonly string[];
  /**
   * The declared default domain, proven to be one of the tenant's verified domains. Reading a tenant
   * always proves it (or refuses the tenant); readings assembled without the wire may leave it out.
   */
  readonly domainProof?: DomainProof;
}

/**
 * Why a tenant cannot be read or written at all, as a cause a person can act on.
 * `consent-missing` is expected for a new tenant and leads to a consent step, not a failure.
 */
export type AccessProblemKind =
  | "consent-missing"
  | "no-gdap-relationship"
  | "gdap-roles-missing"
  | "refresh-token-expired"
  | "refresh-token-revoked"
  | "conditional-access"
  | "mfa-required"
  | "client-credential-invalid"
  | "tenant-not-found"
  | "domain-mismatch"
  | "unknown";

/** How the declared default domain was proven to belong to the tenant before anything was written. */
export interface DomainProof {
  /** The domain as the tenant spells it. */
  readonly domain: string;
  /** `verified-domains`: among the organization's verifiedDomains in Graph; `tenant-discovery`: Entra ID's discovery names the tenant. */
  readonly by: "verified-domains" | "tenant-discovery";
}

export interface AccessProblem {
  readonly kind: AccessProblemKind;
  /** What happened, in words, with what Microsoft said (AADSTS code, HTTP status). */
  readonly message: string;
  /** What the person running the tool should do about it. */
  readonly action: string;
}

/** The result of reading a tenant: its live state, or the reason it could not be read. */
export type LiveReading =
  | { readonly kind: "read"; readonly live: LiveTenant }
  | { readonly kind: "not-consented"; readonly problem: AccessProblem; readonly domainProof?: DomainProof }
  | { readonly kind: "inaccessible"; readonly problem: AccessProblem };
