/**
 * The CDKTF entry point (cdktf.json "app"): one Terraform stack per tenant declared in stacks/.
 * Run `npm run synth` from the repository root; `cdktf synth` works too where the cdktf CLI is
 * installed, which this project does not depend on.
 */
import { synthesizeFleet } from "../src/construct/fleet-app";

synthesizeFleet("stacks");
