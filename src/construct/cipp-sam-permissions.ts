/**
 * CIPP-SAM's permissions in one tenant as Terraform resources (hashicorp/azuread), for teams who
 * manage Entra ID with Terraform rather than with the cipp-cpv CLI or Action.
 *
 * What Terraform cannot do: Partner Center application consent (the CPV step that first adds
 * CIPP-SAM's service principal to a customer tenant) has no Terraform resource. Run
 * `cipp-cpv apply` (or the Action) once for a new tenant; from then on this construct manages
 * the app role assignments and the delegated grant. Resource service principals are read, never
 * created: a resource the tenant lacks (for example WindowsDefenderATP without a licence) makes
 * the plan fail on its data source, which is why such tenants use a profile that removes it.
 */
import { AppRoleAssignment } from "@cdktf/provider-azuread/lib/app-role-assignment";
import { DataAzureadServicePrincipal } from "@cdktf/provider-azuread/lib/data-azuread-service-principal";
import { ServicePrincipalDelegatedPermissionGrant } from "@cdktf/provider-azuread/lib/service-principal-delegated-permission-grant";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { isGuid } from "../desired/catalogue";
import type { DesiredTenant, Guid, PermissionSet } from "../desired/model";

/** Configuration of {@link CippSamPermissions}. */
export interface CippSamPermissionsProps {
  /** CIPP-SAM's application (client) id; its service principal must already exist in the tenant. */
  readonly clientId: Guid;
  /** The permissions CIPP-SAM should hold, e.g. a resolved DesiredTenant's `permissions`. */
  readonly permissions: PermissionSet;
  /**
   * The azuread provider (and so the tenant) the resources belong to.
   * @default the stack's default azuread provider
   */
  readonly provider?: TerraformProvider;
}

/**
 * Declares, for one tenant: a data source for CIPP-SAM's service principal and for each resource
 * application's service principal (by client id), one `azuread_app_role_assignment` per
 * application permission, and one `azuread_service_principal_delegated_permission_grant`
 * (admin consent for all users) per resource with delegated scopes.
 *
 * CIPP-SAM's service principal is a data source, not a resource with `use_existing`, so that
 * `terraform destroy` can never delete it: it carries the consent Partner Center gave.
 */
export class CippSamPermissions extends Construct {
  /** CIPP-SAM's service principal in the tenant. */
  readonly client: DataAzureadServicePrincipal;
  /** Each resource application's service principal, by appId. */
  readonly resources: ReadonlyMap<Guid, DataAzureadServicePrincipal>;
  readonly appRoleAssignments: readonly AppRoleAssignment[];
  readonly delegatedGrants: readonly ServicePrincipalDelegatedPermissionGrant[];

  constructor(scope: Construct, id: string, props: CippSamPermissionsProps) {
    super(scope, id);
    const provider = props.provider === undefined ? {} : { provider: props.provider };
    this.client = new DataAzureadServicePrincipal(this, "client", { clientId: props.clientId, ...provider });
    const resources = new Map<Guid, DataAzureadServicePrincipal>();
    const appRoleAssignments: AppRoleAssignment[] = [];
    const delegatedGrants: ServicePrincipalDelegatedPermissionGrant[] = [];

    for (const wanted of props.permissions.resources) {
      const resource = new DataAzureadServicePrincipal(this, `resource-${wanted.appId}`, { clientId: wanted.appId, ...provider });
      resources.set(wanted.appId, resource);
      for (const role of wanted.appRoles) {
        appRoleAssignments.push(
          new AppRoleAssignment(this, `app-role-${wanted.appId}-${role}`, {
            // Names resolve through the tenant's own service principal, as Graph publishes them there.
            appRoleId: isGuid(role) ? role : resource.appRoleIds.lookup(role),
            principalObjectId: this.client.objectId,
            resourceObjectId: resource.objectId,
            ...provider,
          }),
        );
      }
      const claimValues = [...wanted.scopes, ...wanted.unpublishedScopes];
      if (claimValues.length > 0) {
        delegatedGrants.push(
          new ServicePrincipalDelegatedPermissionGrant(this, `delegated-${wanted.appId}`, {
            servicePrincipalObjectId: this.client.objectId,
            resourceServicePrincipalObjectId: resource.objectId,
            claimValues,
            ...provider,
          }),
        );
      }
    }
    this.resources = resources;
    this.appRoleAssignments = appRoleAssignments;
    this.delegatedGrants = delegatedGrants;
  }

  /** The construct for one resolved, declared tenant. */
  static forTenant(scope: Construct, id: string, tenant: DesiredTenant, clientId: Guid, provider?: TerraformProvider): CippSamPermissions {
    return new CippSamPermissions(scope, id, { clientId, permissions: tenant.permissions, ...(provider === undefined ? {} : { provider }) });
  }
}
