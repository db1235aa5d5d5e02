/**
 * The desired state: what CIPP-SAM should hold in each tenant, resolved from the base set,
 * the tenant's profiles and its own additions and removals. Pure data; no I/O.
 */

/** A GUID in its canonical lower-case 8-4-4-4-12 form. */
export type Guid = string;

/**
 * A permission as the declaration names it: a permission name (an app role's or a delegated
 * scope's `value`, e.g. "Application.ReadWrite.All") or, where only the id is known (CIPP's
 * SAMManifest.json), its GUID. Names are resolved to ids, and ids to names, against the
 * resource service principal the tenant actually holds.
 */
export type PermissionRef = string;

/** What to do with permissions found in a tenant that the declaration does not ask for. */
export type ExtraPolicy = "keep" | "remove";

/**
 * Who writes a tenant's permissions: the cipp-cpv CLI and Action (refresh), or Terraform through
 * the CDKTF construct. One owner per tenant: the other only reads it (README, Terraform).
 */
export type ManagedBy = "cipp-cpv" | "terraform";

/** The permissions wanted on one resource application (Microsoft Graph, Exchange Online, ...). */
export interface DesiredResource {
  /** The resource application's appId, e.g. Microsoft Graph "00000003-0000-0000-c000-000000000000". */
  readonly appId: Guid;
  /** A readable name for messages; the live service principal's displayName wins when known. */
  readonly displayName: string;
  /** Application permissions (app role assignments), by name or id. */
  readonly appRoles: readonly PermissionRef[];
  /** Delegated permissions (the scope string of the AllPrincipals grant), by name or id. */
  readonly scopes: readonly PermissionRef[];
  /**
   * Delegated scope names the resource does not publish but that are granted anyway, as CIPP's
   * AdditionalPermissions.json does (e.g. SharePoint "AllProfiles.Manage"). Never flagged as unknown.
   */
  readonly unpublishedScopes: readonly string[];
}

/** A set of permissions over several resource applications. */
export interface PermissionSet {
  readonly resources: readonly DesiredResource[];
}

/** Where a declaration came from, for error messages and reports. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
}

/** One declared tenant, fully resolved. */
export interface DesiredTenant {
  readonly tenantId: Guid;
  readonly defaultDomain: string;
  readonly displayName: string;
  /** The partner's own tenant: no Partner Center consent; Partner Center's scope is kept. */
  readonly isPartner: boolean;
  /** Excluded tenants are declared but never planned or applied. */
  readonly excluded: boolean;
  readonly profiles: readonly string[];
  readonly permissions: PermissionSet;
  readonly extras: { readonly appRoles: ExtraPolicy; readonly scopes: ExtraPolicy };
  /** Who writes its permissions; absent means "cipp-cpv". */
  readonly managedBy?: ManagedBy;
  readonly source: SourceLocation;
}

/** A tenant's owner, "cipp-cpv" unless its declaration (or a profile) says otherwise. */
export function managedByOf(tenant: DesiredTenant): ManagedBy {
  return tenant.managedBy ?? "cipp-cpv";
}

/** The project-wide settings from stacks/cipp-cpv.yaml. */
export interface FleetSettings {
  /** The partner's tenant id: Partner Center consent and GDAP relationships live there. */
  readonly partnerTenantId: Guid;
  /** CIPP-SAM's appId, the multi-tenant application whose permissions are managed. */
  readonly applicationId: Guid;
  /** Which Microsoft cloud; "sandbox" points every endpoint at the emulator. */
  readonly cloud: string;
  /** Where the Terraform stacks keep their state; absent means a local file per tenant. */
  readonly terraform?: TerraformSettings;
}

/**
 * The Terraform backend of the tenants' stacks, as cipp-cpv.yaml names it. Each tenant gets its
 * own state: `<keyPrefix><stack>.tfstate` (azurerm, s3), workspace `<workspacePrefix><stack>`
 * (remote, cloud), or `<directory>/<stack>.tfstate` (local, relative to where synth runs).
 */
export type TerraformBackend =
  | { readonly type: "local"; readonly directory: string }
  | {
      readonly type: "azurerm";
      readonly resourceGroupName: string;
      readonly storageAccountName: string;
      readonly containerName: string;
      readonly keyPrefix: string;
      readonly useOidc?: boolean;
    }
  | { readonly type: "s3"; readonly bucket: string; readonly region: string; readonly keyPrefix: string; readonly dynamodbTable?: string }
  | { readonly type: "remote" | "cloud"; readonly organization: string; readonly hostname?: string; readonly workspacePrefix: string };

export interface TerraformSettings {
  readonly backend: TerraformBackend;
}

/** Everything declared in stacks/: settings and every tenant, resolved and validated. */
export interface Fleet {
  readonly settings: FleetSettings;
  readonly tenants: readonly DesiredTenant[];
}
