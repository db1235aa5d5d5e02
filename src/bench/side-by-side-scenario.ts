/**
 * CIPP side by side: the same fleet, the same emulator world, the same wire (bench-wire.ts) and
 * the same documented Graph limits, once for cipp-cpv's `refresh` and once for CIPP's own call
 * sequence (cipp-reference-client.ts, described in docs/cipp-call-sequence.md), each against an
 * emulator child of its own so that each starts from the same state. Both clients' requests go
 * through the same wire tally, so requests, tokens and writes are counted alike; the emulator's
 * own counters are returned beside them for the accounting test.
 */
import { performance } from "node:perf_hooks";
import { CIPP_REQUIRED_RESOURCES } from "../desired/cipp-default-set";
import { DEMO, DEMO_CREDENTIALS, type FaultProfile } from "../emulator";
import { roundTripBoundMs } from "./bench-wire";
import { runCippReference, type CippAccount, type CippMode } from "./cipp-reference-client";
import { startEmulatorChild, type EmulatorRequestCounts } from "./emulator-child";
import { fleetTenants, type FleetKind } from "./fleet-fixture";
import { rolloutBounds } from "./reference-figures";
import { sandboxRunner, temporaryStacks } from "./sandbox-run";
import { wireTally, type WireCounts } from "./wire-tally";

/** Which client ran: cipp-cpv's refresh, or CIPP's manual refresh or nightly activity. */
export type SideBySideClient = "cipp-cpv" | `cipp-${CippMode}`;

/** Requests, tokens and writes, as counted on one side of the wire. */
export interface Accounting {
  /** HTTP requests, tokens included, a `$batch` counting once. */
  readonly requests: number;
  readonly tokenRequests: number;
  /** Single writes plus the write items of `$batch` requests. */
  readonly writes: number;
}

export interface ClientMeasurement {
  readonly client: SideBySideClient;
  readonly tenants: number;
  readonly concurrency: number;
  /** Virtual ms per real ms. */
  readonly speed: number;
  /** Tenants by outcome, in the client's own words (cipp-cpv's statuses, CIPP's Success/Failed). */
  readonly statuses: Record<string, number>;
  /** Counted by the tally on the client's dispatcher. */
  readonly wire: Accounting & { readonly peakInFlight: number; readonly throttledResponses: number; readonly throttledBatchItems: number };
  /** Counted by the emulator. */
  readonly emulator: Accounting;
  /** CIPP's own count of what it sent; null for cipp-cpv. */
  readonly cippAccount: CippAccount | null;
  readonly virtualMs: number;
  readonly realMs: number;
  /**
   * Processor time during the run, in ms: this process (the client) and the emulator child. On a
   * sped-up clock every real ms of processor time is `speed` virtual ms, so a share near 1 means the
   * wall time measures the machine, not the wire.
   */
  readonly cpuMs: { readonly client: number; readonly emulator: number };
  /** The least virtual time this work allows: round trips at the minimum latency, and the write budgets. */
  readonly lowerBound: { readonly roundTripsMs: number; readonly throttleMs: number; readonly ms: number };
}

export interface SideBySideOptions {
  readonly kind: FleetKind;
  readonly tenants: number;
  /** Virtual ms per real ms. */
  readonly speed: number;
  /** Tenants at once, for both clients (CIPP's durable activities run 10 at a time). */
  readonly concurrency: number;
  readonly wire: FaultProfile;
  /** Graph identity throttling at the documented limits. */
  readonly throttle: boolean;
}

/** Runs one client over a fresh emulator child of `options.kind`. */
export async function measureClient(client: SideBySideClient, options: SideBySideOptions): Promise<ClientMeasurement> {
  const fleet = fleetTenants(options.tenants);
  const child = await startEmulatorChild({
    kind: options.kind,
    tenants: options.tenants,
    clockSpeed: options.speed,
    throttle: options.throttle,
    faults: options.wire,
  });
  const stacks = client === "cipp-cpv" ? temporaryStacks(fleet) : null;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms / options.speed));
  try {
    await child.resetRequests();
    const emulatorCpuBefore = await child.cpuMs();
    const clientCpuBefore = process.cpuUsage();
    const virtualStart = child.virtualNow();
    const realStart = performance.now();
    let statuses: Record<string, number> = {};
    let wire: WireCounts;
    let cippAccount: CippAccount | null = null;
    if (client === "cipp-cpv") {
      const runner = sandboxRunner(child, { clock: () => child.virtualNow(), sleep });
      const outcome = await runner.run("refresh", stacks?.dir ?? "", { concurrency: options.concurrency });
      statuses = countBy((outcome.result?.tenants ?? []).map((t) => t.status));
      wire = runner.tally.counts();
    } else {
      const tally = wireTally(child.agent);
      const run = await runCippReference(
        fleet.map((t) => ({ tenantId: t.tenantId, displayName: t.displayName, consentRecorded: options.kind === "converged" })),
        client === "cipp-refresh" ? "refresh" : "nightly",
        {
          baseUrl: child.baseUrl,
          dispatcher: tally.dispatcher,
          partnerTenantId: DEMO.partner.tenantId,
          applicationId: DEMO_CREDENTIALS.clientId,
          clientSecret: DEMO_CREDENTIALS.clientSecret,
          refreshToken: DEMO_CREDENTIALS.refreshToken,
          resources: CIPP_REQUIRED_RESOURCES,
          concurrency: options.concurrency,
          sleep,
          now: () => child.virtualNow(),
        },
      );
      statuses = countBy(run.tenants.map((t) => t.status));
      wire = tally.counts();
      cippAccount = run.account;
    }
    const realMs = performance.now() - realStart;
    const virtualMs = child.virtualNow() - virtualStart;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const cpuMs = { client: (clientCpu.user + clientCpu.system) / 1000, emulator: (await child.cpuMs()) - emulatorCpuBefore };
    const emulator = emulatorAccounting(await child.requests());

    const writes = wire.batchWrites + wire.directWrites;
    // CIPP's workers are sequential: one request or one fixed wait at a time each.
    const fixedWaitMs = cippAccount?.fixedWaitMs ?? 0;
    const parallel = client === "cipp-cpv" ? wire.peakInFlight : options.concurrency;
    const roundTripsMs = roundTripBoundMs(wire.requests, parallel) + fixedWaitMs / parallel;
    const consents = emulator.partnerCenterWrites;
    const bounds = rolloutBounds({ totalWrites: writes - consents, writesPerTenant: (writes - consents) / options.tenants, consents }, 1);
    const throttleMs = Math.max(...bounds.each.map((b) => b.burstMs));
    return {
      client,
      tenants: options.tenants,
      concurrency: options.concurrency,
      speed: options.speed,
      statuses,
      wire: {
        requests: wire.requests,
        tokenRequests: wire.tokenRequests,
        writes,
        peakInFlight: wire.peakInFlight,
        throttledResponses: wire.throttledResponses,
        throttledBatchItems: wire.throttledBatchItems,
      },
      emulator: { requests: emulator.requests, tokenRequests: emulator.tokenRequests, writes: emulator.writes },
      cippAccount,
      virtualMs,
      realMs,
      cpuMs,
      lowerBound: { roundTripsMs, throttleMs, ms: Math.max(roundTripsMs, throttleMs) },
    };
  } finally {
    stacks?.remove();
    await child.stop();
  }
}

/** Both clients (and, for a converged fleet, CIPP's manual refresh besides its nightly) on one kind of fleet. */
export async function measureSideBySide(options: SideBySideOptions): Promise<readonly ClientMeasurement[]> {
  const clients: SideBySideClient[] =
    options.kind === "converged" ? ["cipp-cpv", "cipp-nightly", "cipp-refresh"] : ["cipp-cpv", "cipp-nightly"];
  const measured: ClientMeasurement[] = [];
  for (const client of clients) measured.push(await measureClient(client, options));
  return measured;
}

/** The emulator's counters as requests, tokens and writes (write items of `$batch` counted one by one). */
export function emulatorAccounting(counts: EmulatorRequestCounts): Accounting & { readonly partnerCenterWrites: number } {
  const isWrite = (method: string): boolean => method.toUpperCase() !== "GET";
  let writes = 0;
  let partnerCenterWrites = 0;
  for (const c of counts.counts) {
    if (c.service === "login" || c.service === "control" || c.path.endsWith("/$batch") || !isWrite(c.method)) continue;
    writes += c.count;
    if (c.service === "partnerCenter") partnerCenterWrites += c.count;
  }
  for (const c of counts.inner.counts) if (isWrite(c.method)) writes += c.count;
  return { requests: counts.total, tokenRequests: counts.byService["login"] ?? 0, writes, partnerCenterWrites };
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
