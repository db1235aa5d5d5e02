/**
 * One Terraform stack per tenant: its own azuread provider pointed at the tenant, holding
 * {@link CippSamPermissions}. Separate stacks keep separate state, so a failing tenant never
 * blocks the others.
 */
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { DesiredTenant, Guid } from "../desired/model";
import { CippSamPermissions } from "./cipp-sam-permissions";

/** The azuread provider's `environment` for each cloud the settings may name. */
const PROVIDER_ENVIRONMENTS: Readonly<Record<string, string>> = { public: "global", usgov: "usgovernment", china: "china" };

/** Configuration of {@link CippSamTenantStack}. */
export interface CippSamTenantStackProps {
  readonly tenant: DesiredTenant;
  /** CIPP-SAM's application (client) id. */
  readonly applicationId: Guid;
  /**
   * The settings' cloud. "sandbox" (the local emulator) has no Terraform equivalent; its stacks
   * synthesize with the provider's default environment.
   * @default "public"
   */
  readonly cloud?: string;
}

/**
 * A stack for one tenant. The provider gets only the tenant id: credentials come from the
 * environment as the azuread provider documents it (ARM_CLIENT_ID with ARM_USE_OIDC=true in
 * GitHub Actions, ARM_CLIENT_SECRET or ARM_CLIENT_CERTIFICATE_PATH elsewhere), never from code.
 */
export class CippSamTenantStack extends TerraformStack {
  readonly permissions: CippSamPermissions;

  constructor(scope: Construct, id: string, props: CippSamTenantStackProps) {
    super(scope, id);
    const environment = PROVIDER_ENVIRONMENTS[props.cloud ?? "public"];
    new AzureadProvider(this, "azuread", { tenantId: props.tenant.tenantId, ...(environment === undefined ? {} : { environment }) });
    this.permissions = CippSamPermissions.forTenant(this, "cipp-sam", props.tenant, props.applicationId);
  }
}

/** A stack name from a tenant's default domain ("fabrikam.onmicrosoft.com" → "fabrikam-onmicrosoft-com"). */
export function stackName(tenant: DesiredTenant): string {
  return tenant.defaultDomain.replace(/[^a-z0-9-]/gi, "-");
}
