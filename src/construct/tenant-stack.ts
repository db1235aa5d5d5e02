/**
 * One Terraform stack per tenant: its own azuread provider pointed at the tenant, its own state
 * (the backend cipp-cpv.yaml names, one key or workspace per tenant), holding
 * {@link CippSamPermissions}. Separate stacks keep separate state, so a failing tenant never
 * blocks the others.
 */
import { relative, resolve } from "node:path";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import {
  AzurermBackend,
  CloudBackend,
  LocalBackend,
  NamedCloudWorkspace,
  NamedRemoteWorkspace,
  RemoteBackend,
  S3Backend,
  TerraformStack,
} from "cdktf";
import type { Construct } from "constructs";
import type { DesiredTenant, Guid, TerraformBackend } from "../desired/model";
import type { StackDeclaration } from "../plan/stack";
import { CippSamPermissions } from "./cipp-sam-permissions";

/** The azuread provider's `environment` for each cloud the settings may name. */
const PROVIDER_ENVIRONMENTS: Readonly<Record<string, string>> = { public: "global", usgov: "usgovernment", china: "china" };

/** The backend when cipp-cpv.yaml names none: a state file per tenant under terraform-state/, relative to where synth runs. */
export const DEFAULT_BACKEND: TerraformBackend = { type: "local", directory: "terraform-state" };

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
  /** Where the stack keeps its state. @default {@link DEFAULT_BACKEND} */
  readonly backend?: TerraformBackend;
  /** The folder the app synthesizes into (cdktf's `outdir`), to make a local state path relative to the stack's folder. @default "cdktf.out" */
  readonly outdir?: string;
  /** What to declare and adopt, from the tenant's live state; without it, the tenant's whole declaration and no import. */
  readonly declaration?: StackDeclaration;
}

/**
 * A stack for one tenant. The provider gets only the tenant id: credentials come from the
 * environment as the azuread provider documents it (ARM_CLIENT_ID with ARM_USE_OIDC=true in
 * GitHub Actions, ARM_CLIENT_SECRET or ARM_CLIENT_CERTIFICATE_PATH elsewhere), never from code.
 * The identity must hold the rights of the `terraform` profile (README, Terraform).
 */
export class CippSamTenantStack extends TerraformStack {
  readonly permissions: CippSamPermissions;

  constructor(scope: Construct, id: string, props: CippSamTenantStackProps) {
    super(scope, id);
    const environment = PROVIDER_ENVIRONMENTS[props.cloud ?? "public"];
    new AzureadProvider(this, "azuread", { tenantId: props.tenant.tenantId, ...(environment === undefined ? {} : { environment }) });
    addBackend(this, id, props.backend ?? DEFAULT_BACKEND, props.outdir ?? "cdktf.out");
    this.permissions = new CippSamPermissions(this, "cipp-sam", {
      clientId: props.applicationId,
      ...(props.declaration ? { declaration: props.declaration } : { permissions: props.tenant.permissions }),
    });
  }
}

/** The backend block of one tenant's stack: its own state key, workspace or file. */
function addBackend(stack: TerraformStack, name: string, backend: TerraformBackend, outdir: string): void {
  switch (backend.type) {
    case "local": {
      // Terraform runs in <outdir>/stacks/<name>: a path relative to it works from any checkout.
      const path = relative(resolve(outdir, "stacks", name), resolve(backend.directory, `${name}.tfstate`))
        .split("\\")
        .join("/");
      new LocalBackend(stack, { path });
      return;
    }
    case "azurerm":
      new AzurermBackend(stack, {
        resourceGroupName: backend.resourceGroupName,
        storageAccountName: backend.storageAccountName,
        containerName: backend.containerName,
        key: `${backend.keyPrefix}${name}.tfstate`,
        ...(backend.useOidc === undefined ? {} : { useOidc: backend.useOidc }),
      });
      return;
    case "s3":
      new S3Backend(stack, {
        bucket: backend.bucket,
        region: backend.region,
        key: `${backend.keyPrefix}${name}.tfstate`,
        ...(backend.dynamodbTable === undefined ? {} : { dynamodbTable: backend.dynamodbTable }),
      });
      return;
    case "remote":
      new RemoteBackend(stack, {
        organization: backend.organization,
        workspaces: new NamedRemoteWorkspace(`${backend.workspacePrefix}${name}`),
        ...(backend.hostname === undefined ? {} : { hostname: backend.hostname }),
      });
      return;
    case "cloud":
      new CloudBackend(stack, {
        organization: backend.organization,
        workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix}${name}`),
        ...(backend.hostname === undefined ? {} : { hostname: backend.hostname }),
      });
      return;
  }
}

/** A stack name from a tenant's default domain ("fabrikam.onmicrosoft.com" → "fabrikam-onmicrosoft-com"). */
export function stackName(tenant: DesiredTenant): string {
  return tenant.defaultDomain.replace(/[^a-z0-9-]/gi, "-");
}
