/**
 * Runs the engine against an emulator child the way the CLI runs it against the sandbox: its base
 * URL for every endpoint, the demo credentials, and a dispatcher that trusts its certificate and
 * tallies what crosses the wire.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runEngine, type EngineDeps, type RunOutcome } from "../run/engine";
import type { RunMode } from "../run/run-request";
import { sandboxEndpoints } from "../cloud/endpoints";
import { DEMO_CREDENTIALS } from "../emulator";
import type { EmulatorChild } from "./emulator-child";
import { writeFleetStacks, type FleetTenant } from "./fleet-fixture";
import { wireTally, type WireTally } from "./wire-tally";

/** A stacks directory of its own in the temporary folder. */
export interface TemporaryStacks {
  readonly dir: string;
  remove(): void;
}

/** Writes a stacks directory declaring `tenants` into a new temporary folder. */
export function temporaryStacks(tenants: readonly FleetTenant[]): TemporaryStacks {
  const dir = mkdtempSync(join(tmpdir(), "cipp-cpv-bench-"));
  writeFleetStacks(dir, tenants);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The engine bound to one emulator child. */
export interface SandboxRunner {
  readonly tally: WireTally;
  run(mode: RunMode, stacksDir: string, options?: { readonly concurrency?: number }): Promise<RunOutcome>;
}

/**
 * @param timing where the engine's clock and sleep come from; real time when absent.
 */
export function sandboxRunner(child: EmulatorChild, timing: Pick<EngineDeps, "clock" | "sleep"> = {}): SandboxRunner {
  const tally = wireTally(child.agent);
  return {
    tally,
    run: (mode, stacksDir, options = {}) =>
      runEngine(
        {
          mode,
          stacksDir,
          endpoints: sandboxEndpoints(child.baseUrl),
          credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
          refreshToken: DEMO_CREDENTIALS.refreshToken,
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        },
        { ...timing, dispatcher: tally.dispatcher },
      ),
  };
}
