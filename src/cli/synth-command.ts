/**
 * `cipp-cpv synth [--adopt]`: writes the Terraform stacks (one per tenant managed by Terraform)
 * into cdktf.out/. With --adopt it first reads each of those tenants live, the same two-request
 * read as `plan`, so that every stack imports what its tenant already holds, leaves out what is
 * blocked, and a tenant not yet consented gets no stack but a message to run refresh first.
 */
import { readFleet } from "../run/read-fleet";
import type { AppCredential } from "../run/run-request";
import { sandboxEndpoints } from "../cloud/endpoints";
import { loadFleet } from "../desired/load";
import type { Fleet } from "../desired/model";
import { selectTenants } from "../desired/select";
import type { LiveReading } from "../live/model";
import type * as FleetApp from "../construct/fleet-app";
import { checkWritable, type Output } from "./output";
import { progressLine } from "./progress";
import { maskCredentials } from "./run-command";

export interface SynthFlags {
  readonly stacks: string;
  readonly adopt?: boolean;
  readonly tenant?: string;
  readonly out: string;
  readonly json?: string;
  readonly concurrency?: number;
  readonly quiet?: boolean;
}

/** What --adopt reads with; not needed without it. */
export interface SynthContext {
  readonly credential: AppCredential;
  readonly refreshToken: string;
  readonly caCertificates: readonly string[];
  readonly sandboxUrl?: string;
}

/** Synthesizes and prints the report; 0 when every tenant managed by Terraform got its stack, else 1. */
export async function synthCommand(flags: SynthFlags, context: () => SynthContext, output: Output): Promise<number> {
  if (flags.json !== undefined) checkWritable(flags.json, "--json");
  const fleet = loadFleet(flags.stacks);
  const selected: Fleet = flags.tenant === undefined ? fleet : { ...fleet, tenants: selectTenants(fleet, flags.tenant) };
  // cdktf takes seconds to load: only synth loads it, every other command starts without it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load of cdktf, synchronous in CommonJS
  const { renderSynthJson, renderSynthText, synthesizeStacks, terraformTenants } = require("../construct/fleet-app") as typeof FleetApp;
  let readings: Map<string, LiveReading> | undefined;
  if (flags.adopt === true) {
    const adoptWith = context();
    maskCredentials(adoptWith, output);
    const { credential, refreshToken, caCertificates, sandboxUrl } = adoptWith;
    readings = await readFleet(
      selected,
      terraformTenants(selected),
      {
        credential,
        refreshToken,
        caCertificates,
        ...(sandboxUrl !== undefined ? { endpoints: sandboxEndpoints(sandboxUrl) } : {}),
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
        ...(flags.quiet ? {} : { onProgress: (progress) => output.err(progressLine(progress, "plan")) }),
      },
      { redactor: output.redactor },
    );
  }
  const report = synthesizeStacks(selected, { outdir: flags.out, ...(readings ? { readings } : {}) });
  output.out(renderSynthText(report));
  if (flags.json !== undefined) output.file(flags.json, renderSynthJson(report));
  return report.tenants.every((tenant) => tenant.stack !== null) ? 0 : 1;
}
