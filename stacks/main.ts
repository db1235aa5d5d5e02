/**
 * The CDKTF entry point (cdktf.json "app"): one Terraform stack per tenant declared in stacks/.
 * Run `npx cdktf synth` (or `npm run synth`) from the repository root.
 */
import { synthesizeFleet } from "../src/construct/fleet-app";

synthesizeFleet("stacks");
