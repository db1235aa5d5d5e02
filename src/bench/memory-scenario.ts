/**
 * The CLI's peak memory and time per tenant at fleet scale: `cipp-cpv plan` over a converged fleet,
 * as its own process (bin/cipp-cpv.js, as a user runs it) against the emulator in another child
 * process, for each fleet size asked. The peak resident set size is the operating system's figure
 * for the CLI process alone (measured-process.ts); the emulator's memory is not in it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_CREDENTIALS } from "../emulator";
import { startEmulatorChild } from "./emulator-child";
import { fleetTenants } from "./fleet-fixture";
import { measureNodeProcess } from "./measured-process";
import { temporaryStacks } from "./sandbox-run";

export interface MemoryMeasurement {
  readonly tenants: number;
  readonly concurrency: number;
  /** The CLI's exit code: 0 when every tenant planned converged. */
  readonly exitCode: number | null;
  readonly maxRssBytes: number;
  readonly cpuMs: number;
  /** The CLI process from spawn to exit. */
  readonly wallMs: number;
  readonly perTenantMs: number;
}

/** The project's root: bin/ and lib/ are there (this file runs from lib/src/bench/). */
const ROOT = join(__dirname, "..", "..", "..");

export async function measureCliPlan(tenants: number, concurrency: number): Promise<MemoryMeasurement> {
  const child = await startEmulatorChild({ kind: "converged", tenants, clockSpeed: 1, throttle: false });
  const stacks = temporaryStacks(fleetTenants(tenants));
  const dir = mkdtempSync(join(tmpdir(), "cipp-cpv-bench-cli-"));
  try {
    const caFile = join(dir, "sandbox-ca.pem");
    writeFileSync(caFile, child.caCertificatePem);
    const run = await measureNodeProcess(
      [
        join(ROOT, "bin", "cipp-cpv.js"),
        "plan",
        "--stacks",
        stacks.dir,
        "--allow-outside-repository",
        "--sandbox-url",
        child.baseUrl,
        "--ca-file",
        caFile,
        "--quiet",
        "--concurrency",
        String(concurrency),
      ],
      {
        env: {
          ...process.env,
          CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
          CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
        },
        cwd: dir,
      },
    );
    if (run.usage === null)
      throw new Error(`cipp-cpv plan over ${tenants} tenants reported no usage (exit ${String(run.exitCode)}): ${run.stderrTail}`);
    return {
      tenants,
      concurrency,
      exitCode: run.exitCode,
      maxRssBytes: run.usage.maxRssBytes,
      cpuMs: run.usage.cpuMs,
      wallMs: run.wallMs,
      perTenantMs: run.wallMs / tenants,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    stacks.remove();
    await child.stop();
  }
}
