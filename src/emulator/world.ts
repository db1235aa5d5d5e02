/**
 * The emulator's world: the Microsoft side of the wire. A `WorldSpec` is the JSON a test or the
 * control API loads (readable: objects refer to applications by appId); `World` is the live,
 * mutable directory state the handlers read and write (objects have ids, as Entra ID gives them).
 *
 * This module shares no code with src/cloud/: the two sides of the wire must not agree by
 * sharing a bug.
 */

// ---------------------------------------------------------------------------------------------
// The loadable specification
// ---------------------------------------------------------------------------------------------

export interface WorldSpec {
  /** The partner (CSP) tenant: home of the multi-tenant app, its service account and GDAP. */
  readonly partnerTenantId: string;
  /** Multi-tenant application registrations (CIPP-SAM and any other third-party app). */
  readonly applications: readonly ApplicationSpec[];
  /**
   * Microsoft first-party resource applications (Graph, Exchange Online, ...) with their real
   * appRoles and oauth2PermissionScopes. Any tenant can hold their service principal, subject
   * to `requiresServicePlans`.
   */
  readonly firstPartyApps: readonly FirstPartyAppSpec[];
  /** Users of the partner tenant that hold refresh tokens (the CIPP service account). */
  readonly users: readonly UserSpec[];
  /** Every tenant, the partner's own included. */
  readonly tenants: readonly TenantSpec[];
  /** GDAP relationships from the partner tenant to customers. */
  readonly gdapRelationships: readonly GdapRelationshipSpec[];
  /** External identity providers trusted for federated credentials (GitHub Actions OIDC). */
  readonly federatedIssuers?: readonly FederatedIssuerSpec[];
  readonly behaviour?: Partial<BehaviourSettings>;
}

export interface ApplicationSpec {
  readonly appId: string;
  readonly displayName: string;
  readonly homeTenantId: string;
  /** Client secrets accepted for this app. */
  readonly secrets?: readonly { readonly value: string; readonly expires?: string }[];
  /** Certificates whose private key may sign client assertions (PEM of the certificate). */
  readonly certificates?: readonly { readonly certificatePem: string }[];
  readonly federatedCredentials?: readonly FederatedCredentialSpec[];
}

export interface FederatedCredentialSpec {
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

export interface FederatedIssuerSpec {
  /** e.g. "https://token.actions.githubusercontent.com" */
  readonly issuer: string;
  /** PEM public keys (SPKI) the issuer signs with. */
  readonly publicKeysPem: readonly string[];
}

export interface FirstPartyAppSpec {
  readonly appId: string;
  readonly displayName: string;
  readonly appRoles: readonly AppRoleSpec[];
  readonly oauth2PermissionScopes: readonly PermissionScopeSpec[];
  /**
   * Service plans that license the workload: a tenant without any of them cannot instantiate the
   * service principal. Absent or empty: always available.
   */
  readonly requiresServicePlans?: readonly string[];
}

export interface AppRoleSpec {
  readonly id: string;
  readonly value: string;
  readonly displayName?: string;
  readonly description?: string;
  /** Defaults to ["Application"]. */
  readonly allowedMemberTypes?: readonly string[];
  readonly isEnabled?: boolean;
}

export interface PermissionScopeSpec {
  readonly id: string;
  readonly value: string;
  readonly adminConsentDisplayName?: string;
  readonly type?: "User" | "Admin";
  readonly isEnabled?: boolean;
}

export interface UserSpec {
  readonly id: string;
  readonly userPrincipalName: string;
  /** Refresh tokens valid at load; each is bound to one client appId. */
  readonly refreshTokens: readonly { readonly token: string; readonly clientId: string }[];
  /** Whether the user's sign-in satisfied MFA (the `amr` claim carries "mfa"). */
  readonly mfa: boolean;
  /** Member of the partner's AdminAgents group. */
  readonly adminAgent: boolean;
}

export interface TenantSpec {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  /** Verified domains besides the default one (custom domains), as `/organization` and `/domains` list them. */
  readonly domains?: readonly string[];
  /** Fewer than 50 users: S; 50–500: M; more: L (decides the resource-unit quota). */
  readonly size?: "S" | "M" | "L";
  readonly subscribedSkus?: readonly SubscribedSkuSpec[];
  /** Service principals present at load, by appId (first-party or third-party). */
  readonly servicePrincipals?: readonly { readonly appId: string; readonly id?: string }[];
  readonly appRoleAssignments?: readonly {
    readonly principalAppId: string;
    readonly resourceAppId: string;
    /** The app role's value or id. */
    readonly appRole: string;
  }[];
  readonly grants?: readonly {
    readonly clientAppId: string;
    readonly resourceAppId: string;
    /** Space-separated scope names. */
    readonly scope: string;
    readonly consentType?: "AllPrincipals" | "Principal";
    readonly principalId?: string;
    /**
     * The grant's id; Entra's composite key (client, resource, principal) when absent. A second
     * tenant-wide grant for the same client and resource, a state real tenants get into, needs
     * an id of its own.
     */
    readonly id?: string;
  }[];
  /** Conditional Access blocks the partner user's sign-in to this tenant (AADSTS53003). */
  readonly conditionalAccessBlocks?: boolean;
}

export interface SubscribedSkuSpec {
  readonly skuPartNumber: string;
  readonly skuId?: string;
  readonly servicePlans: readonly string[];
}

export interface GdapRelationshipSpec {
  readonly id?: string;
  readonly displayName?: string;
  readonly customerTenantId: string;
  readonly status: "active" | "expiring" | "expired" | "terminated" | "approvalPending";
  /** Entra role template ids granted through the relationship. */
  readonly roleTemplateIds: readonly string[];
  /** ISO end date; absent: an active relationship ends a year after each read, an ended one ended 30 days before it. */
  readonly endDateTime?: string;
  /** "PT0S" (default: ends at endDateTime) or "P180D" (extended automatically). */
  readonly autoExtendDuration?: string;
  /** ISO times Graph answers; absent: the relationship's start, 730 days before its end. */
  readonly activatedDateTime?: string;
  readonly lastModifiedDateTime?: string;
  /** The access assignments; absent: one active assignment of every role to the partner's GDAP group. See src/emulator/gdap.ts. */
  readonly accessAssignments?: readonly GdapAccessAssignmentSpec[];
  /** Answered with `customer: null`, as a relationship no customer has approved yet can be. */
  readonly withoutCustomer?: boolean;
}

export interface GdapAccessAssignmentSpec {
  readonly id?: string;
  /** The partner security group the roles are assigned to. */
  readonly securityGroupId?: string;
  readonly roleTemplateIds: readonly string[];
  readonly status?: "active" | "pending" | "deleting" | "deleted" | "error";
  /** ISO times Graph answers; absent: 30 days before each read. */
  readonly createdDateTime?: string;
  readonly lastModifiedDateTime?: string;
}

/** Knobs for behaviour the real services do not document or that vary. */
export interface BehaviourSettings {
  /** Whether Partner Center's consent DELETE also removes the service principal (open question). */
  readonly consentDeleteRemovesServicePrincipal: boolean;
  /** Access token lifetime in seconds. */
  readonly tokenLifetimeSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Well-known values
// ---------------------------------------------------------------------------------------------

/** Entra role template ids that matter for GDAP checks. */
export const ROLE_TEMPLATES = {
  globalAdministrator: "62e90394-69f5-4237-9190-012177145e10",
  applicationAdministrator: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
  cloudApplicationAdministrator: "158c047a-c907-4556-b7ef-446551a6b5f7",
  privilegedRoleAdministrator: "e8611ab8-c189-46e8-94e1-60213ab1f814",
} as const;

export const MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const PARTNER_CENTER_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";

// ---------------------------------------------------------------------------------------------
// The live state
// ---------------------------------------------------------------------------------------------

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appOwnerOrganizationId: string;
  /** Properties set by `PATCH /servicePrincipals/{id}`, shown instead of the defaults. */
  updated?: Record<string, unknown>;
  /** Virtual-clock ms when created; replication lag hides it from reads until then + lag. */
  createdAt: number;
  visibleAt: number;
}

export interface AppRoleAssignment {
  id: string;
  principalId: string;
  resourceId: string;
  appRoleId: string;
  createdDateTime: string;
  createdAt: number;
  visibleAt: number;
}

export interface OAuth2PermissionGrant {
  id: string;
  clientId: string;
  resourceId: string;
  consentType: "AllPrincipals" | "Principal";
  principalId: string | null;
  scope: string;
  createdAt: number;
  visibleAt: number;
  /**
   * Scope strings reads still see after PATCHes (replication lag on updates), oldest first: each
   * until its replacement has replicated.
   */
  earlierScopes?: { readonly scope: string; readonly until: number }[];
}

/** A deleted object that reads still see until its deletion has replicated. */
export interface Departed<T> {
  readonly object: T;
  /** Virtual ms from which reads no longer see it. */
  readonly until: number;
}

export interface TenantState {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly size: "S" | "M" | "L";
  readonly subscribedSkus: readonly SubscribedSkuSpec[];
  readonly conditionalAccessBlocks: boolean;
  /** By id. Deleted objects are removed (and kept in `deleted` for inspection). */
  readonly servicePrincipals: Map<string, ServicePrincipal>;
  readonly appRoleAssignments: Map<string, AppRoleAssignment>;
  readonly grants: Map<string, OAuth2PermissionGrant>;
  readonly deletedServicePrincipals: ServicePrincipal[];
  /** Deleted objects reads still list while their deletion replicates (see `Departed`). */
  readonly departed: {
    readonly servicePrincipals: Departed<ServicePrincipal>[];
    readonly appRoleAssignments: Departed<AppRoleAssignment>[];
    readonly grants: Departed<OAuth2PermissionGrant>[];
  };
}

export interface RefreshTokenState {
  readonly token: string;
  readonly userId: string;
  readonly clientId: string;
  /** "valid", or why it no longer works. */
  status: "valid" | "expired" | "revoked";
}

/** The whole mutable world. Handlers mutate it; the control API inspects and replaces it. */
export interface World {
  readonly spec: WorldSpec;
  readonly partnerTenantId: string;
  readonly applications: ReadonlyMap<string, ApplicationSpec>;
  readonly firstPartyApps: ReadonlyMap<string, FirstPartyAppSpec>;
  readonly users: ReadonlyMap<string, UserSpec>;
  readonly tenants: Map<string, TenantState>;
  readonly refreshTokens: Map<string, RefreshTokenState>;
  readonly gdapRelationships: GdapRelationshipSpec[];
  readonly federatedIssuers: readonly FederatedIssuerSpec[];
  readonly behaviour: BehaviourSettings;
}
