/**
 * The CDKTF app of a whole fleet: one {@link CippSamTenantStack} per declared, non-excluded tenant.
 */
import { App } from "cdktf";
import { loadFleet } from "../desired/load";
import type { Fleet } from "../desired/model";
import { CippSamTenantStack, stackName } from "./tenant-stack";

/** Adds a stack for every tenant of `fleet` that is not excluded, and returns them. */
export function addFleetStacks(app: App, fleet: Fleet): CippSamTenantStack[] {
  return fleet.tenants
    .filter((tenant) => !tenant.excluded)
    .map(
      (tenant) =>
        new CippSamTenantStack(app, stackName(tenant), { tenant, applicationId: fleet.settings.applicationId, cloud: fleet.settings.cloud }),
    );
}

/** Loads the declarations in `stacksDir` and synthesizes their Terraform configuration (cdktf.out/). */
export function synthesizeFleet(stacksDir: string): void {
  const app = new App();
  addFleetStacks(app, loadFleet(stacksDir));
  app.synth();
}
