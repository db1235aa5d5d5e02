/**
 * The emulator as a child process of the benchmark, so that serving requests and running the
 * engine use two processors instead of sharing one event loop. Started by emulator-child.ts with
 * its options as JSON in the first argument; answers on stdout, one JSON object per line:
 * first where it listens and how its clock runs, then its processor time whenever a "cpu" line
 * arrives on stdin. It stops when stdin closes.
 */
import { createInterface } from "node:readline";
import { startEmulator, type FaultProfile } from "../emulator";
import { fleetTenants, fleetWorld, type FleetKind } from "./fleet-fixture";

/** What the parent asks for. */
export interface EmulatorProcessOptions {
  readonly kind: FleetKind;
  readonly tenants: number;
  /** Virtual milliseconds per real millisecond. */
  readonly clockSpeed: number;
  /** Graph identity throttling at the documented limits (scale 1). */
  readonly throttle: boolean;
  /** Latency and replication lag (bench-wire.ts); none when absent. */
  readonly faults?: FaultProfile;
}

/** The first line on stdout. */
export interface EmulatorProcessReady {
  readonly baseUrl: string;
  readonly caCertificatePem: string;
  /** The virtual clock read at `realNow` (both ms since the epoch); it runs at `clockSpeed` from there. */
  readonly virtualNow: number;
  readonly realNow: number;
  readonly clockSpeed: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as EmulatorProcessOptions;
  const emulator = await startEmulator({
    world: fleetWorld(options.kind, fleetTenants(options.tenants)),
    // Frozen while starting, so that the reading below anchors the clock exactly.
    clockSpeed: 0,
    ...(options.throttle ? { graphThrottle: { enabled: true, scale: 1 } } : {}),
    ...(options.faults !== undefined ? { faults: options.faults } : {}),
  });
  const virtualNow = emulator.clock.now();
  emulator.clock.setSpeed(options.clockSpeed);
  const realNow = Date.now();
  const ready: EmulatorProcessReady = {
    baseUrl: emulator.baseUrl,
    caCertificatePem: emulator.caCertificatePem,
    virtualNow,
    realNow,
    clockSpeed: options.clockSpeed,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (line.trim() !== "cpu") return;
    const usage = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMs: (usage.user + usage.system) / 1000 })}\n`);
  });
  lines.on("close", () => {
    void emulator.stop().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
