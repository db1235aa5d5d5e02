/**
 * The CDKTF entry point (cdktf.json "app"): one Terraform stack per tenant declared in stacks/ with
 * `managedBy: terraform`, from the declarations alone. Run `npm run synth` from the repository root;
 * `cdktf synth` works too where the cdktf CLI is installed, which this project does not depend on.
 * `npx cipp-cpv synth --adopt` writes the same stacks from each tenant's live state, with imports.
 */
import { synthesizeFleet } from "../src/construct/fleet-app";

synthesizeFleet("stacks");
