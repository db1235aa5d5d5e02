/**
 * Synthesizing the Terraform stacks of a fleet managed by Terraform (no live state), in a child
 * process: its wall time and peak memory, and what `terraform plan` would read per tenant from the
 * synthesized stack (at least one Graph read per data source instance and per resource instance
 * it refreshes, besides tokens), against cipp-cpv plan's two requests.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fleetTenants, writeFleetStacks } from "./fleet-fixture";
import type { SynthChildReport } from "./synth-child";

export interface SynthMeasurement {
  readonly tenants: number;
  readonly stacks: number;
  /** Wall time of the child process, start to exit, in ms. */
  readonly wallMs: number;
  readonly child: SynthChildReport;
  /** Bytes of configuration written (all cdk.tf.json). */
  readonly outputBytes: number;
  /** Instances `terraform plan` refreshes in one tenant's stack: data sources, then resources. */
  readonly planReadsPerTenant: { readonly dataSources: number; readonly resources: number };
}

interface StackJson {
  data?: Record<string, Record<string, { for_each?: Record<string, unknown> }>>;
  resource?: Record<string, Record<string, { for_each?: Record<string, unknown> }>>;
}

const instances = (blocks: StackJson["data"]): number =>
  Object.values(blocks ?? {}).reduce(
    (n, byName) => n + Object.values(byName).reduce((m, block) => m + (block.for_each ? Object.keys(block.for_each).length : 1), 0),
    0,
  );

export async function measureSynth(tenants: number): Promise<SynthMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), "cipp-cpv-bench-synth-"));
  try {
    const stacksDir = join(dir, "stacks");
    mkdirSync(stacksDir);
    writeFleetStacks(stacksDir, fleetTenants(tenants), { managedBy: "terraform" });
    const outdir = join(dir, "cdktf.out");
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, "synth-child.js"), stacksDir, outdir], {
      maxBuffer: 1 << 20,
    });
    const wallMs = performance.now() - started;
    const child = JSON.parse(stdout.trim()) as SynthChildReport;
    const stackDirs = readdirSync(join(outdir, "stacks"));
    let outputBytes = 0;
    for (const name of stackDirs) outputBytes += readFileSync(join(outdir, "stacks", name, "cdk.tf.json")).length;
    const first = JSON.parse(readFileSync(join(outdir, "stacks", stackDirs[0] ?? "", "cdk.tf.json"), "utf8")) as StackJson;
    return {
      tenants,
      stacks: child.stacks,
      wallMs,
      child,
      outputBytes,
      planReadsPerTenant: { dataSources: instances(first.data), resources: instances(first.resource) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
