/**
 * CIPP-SAM's permissions in one tenant as Terraform resources (hashicorp/azuread), for tenants
 * declared `managedBy: terraform`: the CLI and the Action only plan those, Terraform writes them.
 *
 * What Terraform cannot do: Partner Center application consent (the CPV step that first adds
 * CIPP-SAM's service principal to a customer tenant) has no Terraform resource. Run
 * `cipp-cpv refresh --tenant <domain>` (or the Action) once for a new tenant: for a tenant managed
 * by Terraform it posts that consent and writes nothing else. Then `cipp-cpv synth --adopt`
 * writes this construct's stacks with an import block for everything the tenant already holds.
 * Resource service principals are read, never created; with live state (`--adopt`) a resource the
 * tenant lacks is left out and reported as blocked, so it cannot fail the stack (README, Terraform).
 *
 * Each kind of object is one resource with `for_each`, keyed by resource appId and permission
 * name: a stack has five blocks instead of one per permission, which keeps a 1,000-tenant
 * synthesis within seconds and a few hundred megabytes (npm run bench).
 */
import { AppRoleAssignment } from "@cdktf/provider-azuread/lib/app-role-assignment";
import { DataAzureadServicePrincipal } from "@cdktf/provider-azuread/lib/data-azuread-service-principal";
import { ServicePrincipalDelegatedPermissionGrant } from "@cdktf/provider-azuread/lib/service-principal-delegated-permission-grant";
import { TerraformElement, type TerraformProvider, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { isGuid } from "../guid";
import type { Guid, PermissionSet } from "../desired/model";
import { declarationOf, type StackDeclaration } from "../plan/stack";

/** Configuration of {@link CippSamPermissions}. */
export interface CippSamPermissionsProps {
  /** CIPP-SAM's application (client) id; its service principal must already exist in the tenant. */
  readonly clientId: Guid;
  /** The permissions CIPP-SAM should hold, e.g. a resolved DesiredTenant's `permissions`; ignored when `declaration` is given. */
  readonly permissions?: PermissionSet;
  /** What to declare and adopt, from the tenant's live state (src/plan/stack.ts). */
  readonly declaration?: StackDeclaration;
  /**
   * The azuread provider (and so the tenant) the resources belong to.
   * @default the stack's default azuread provider
   */
  readonly provider?: TerraformProvider;
}

/** The `for_each` key of an app role assignment: "<resource appId>/<permission>". */
export function assignmentKey(resourceAppId: Guid, permission: string): string {
  return `${resourceAppId}/${permission}`;
}

/** Terraform `import` blocks (Terraform 1.5+), keyed into `for_each` resources. */
class ImportBlocks extends TerraformElement {
  private readonly blocks: { to: string; id: string; provider?: string }[] = [];

  add(resource: TerraformResource, key: string, id: string, provider?: TerraformProvider): void {
    this.blocks.push({
      to: `${resource.terraformResourceType}.${resource.friendlyUniqueId}[${JSON.stringify(key)}]`,
      id,
      ...(provider ? { provider: provider.fqn } : {}),
    });
  }

  get count(): number {
    return this.blocks.length;
  }

  override toTerraform(): Record<string, unknown> {
    return this.blocks.length === 0 ? {} : { import: this.blocks };
  }
}

/**
 * Declares, for one tenant: a data source for CIPP-SAM's service principal, one for the resource
 * applications' service principals (by client id, `for_each`), the app role assignments
 * (`azuread_app_role_assignment`, `for_each`) and the AllPrincipals delegated grants
 * (`azuread_service_principal_delegated_permission_grant`, `for_each`), and an `import` block for
 * each of them the tenant already holds.
 *
 * CIPP-SAM's service principal is a data source, not a resource with `use_existing`, so that
 * `terraform destroy` can never delete it: it carries the consent Partner Center gave.
 */
export class CippSamPermissions extends Construct {
  /** CIPP-SAM's service principal in the tenant. */
  readonly client: DataAzureadServicePrincipal;
  /** The resource applications' service principals, one instance per appId; null when nothing is declared. */
  readonly resources: DataAzureadServicePrincipal | null;
  /** The app role assignments, one instance per {@link assignmentKey}; null when none is declared. */
  readonly appRoleAssignments: AppRoleAssignment | null;
  /** The delegated grants, one instance per resource appId; null when none is declared. */
  readonly delegatedGrants: ServicePrincipalDelegatedPermissionGrant | null;
  /** What was declared. */
  readonly declaration: StackDeclaration;
  /** How many import blocks were written. */
  readonly imports: number;

  constructor(scope: Construct, id: string, props: CippSamPermissionsProps) {
    super(scope, id);
    const declaration = props.declaration ?? declarationOf(props.permissions ?? { resources: [] });
    this.declaration = declaration;
    const provider = props.provider === undefined ? {} : { provider: props.provider };
    this.client = new DataAzureadServicePrincipal(this, "client", { clientId: props.clientId, ...provider });
    const imports = new ImportBlocks(this, "imports");

    const appIds = [...new Set(declaration.resources.map((r) => r.appId))];
    if (appIds.length === 0) {
      this.resources = this.appRoleAssignments = this.delegatedGrants = null;
      this.imports = 0;
      return;
    }
    // for_each maps are plain JSON and references plain Terraform expressions: cdktf tokens (each
    // capturing a stack trace) would cost more than everything else in a large synth.
    const resources = new DataAzureadServicePrincipal(this, "resources", { clientId: "${each.value}", ...provider });
    resources.addOverride("for_each", Object.fromEntries(appIds.map((appId) => [appId, appId])));
    this.resources = resources;
    const clientObjectId = `\${data.${this.client.terraformResourceType}.${this.client.friendlyUniqueId}.object_id}`;
    const resourceOf = (appIdExpression: string): string =>
      `data.${resources.terraformResourceType}.${resources.friendlyUniqueId}[${appIdExpression}]`;

    if (declaration.assignments.length > 0) {
      // Keyed "<appId>/<permission>" (names hold no "/"), valued with the app role's id when known:
      // the fewest strings a large synth must walk, and keys a reader recognises in the plan.
      const entries = declaration.assignments.map(
        (a) => [assignmentKey(a.resource.appId, a.permission), a.appRoleId ?? (isGuid(a.permission) ? a.permission : "")] as const,
      );
      const resourceAt = resourceOf(`split("/", each.key)[0]`);
      this.appRoleAssignments = new AppRoleAssignment(this, "app-roles", {
        // Names resolve through the tenant's own service principal, as Graph publishes them there.
        appRoleId: `\${each.value != "" ? each.value : ${resourceAt}.app_role_ids[split("/", each.key)[1]]}`,
        principalObjectId: clientObjectId,
        resourceObjectId: `\${${resourceAt}.object_id}`,
        ...provider,
      });
      this.appRoleAssignments.addOverride("for_each", Object.fromEntries(entries));
      for (const a of declaration.assignments) {
        if (a.importId !== null)
          imports.add(this.appRoleAssignments, assignmentKey(a.resource.appId, a.permission), a.importId, props.provider);
      }
    } else {
      this.appRoleAssignments = null;
    }

    if (declaration.grants.length > 0) {
      // Keyed by the resource's appId, valued with the grant's scopes.
      this.delegatedGrants = new ServicePrincipalDelegatedPermissionGrant(this, "delegated", {
        servicePrincipalObjectId: clientObjectId,
        resourceServicePrincipalObjectId: `\${${resourceOf("each.key")}.object_id}`,
        claimValues: ["${each.value}"],
        ...provider,
      });
      this.delegatedGrants.addOverride("claim_values", "${each.value}");
      this.delegatedGrants.addOverride("for_each", Object.fromEntries(declaration.grants.map((g) => [g.resource.appId, [...g.scopes]])));
      for (const g of declaration.grants) {
        if (g.importId !== null) imports.add(this.delegatedGrants, g.resource.appId, g.importId, props.provider);
      }
    } else {
      this.delegatedGrants = null;
    }
    this.imports = imports.count;
  }
}
