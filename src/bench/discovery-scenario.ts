/**
 * Scenario 4: discovering a large partner. Every customer has an active GDAP relationship with
 * the roles CIPP needs; the first `declared` of them have a tenant file. Discovery should cost one
 * request per page of relationships (300 a page), and for the undeclared customers alone their
 * access assignments and default domains, 20 to a `$batch` — at most the "one request per page
 * plus one per relationship checked" bound, and about a tenth of it. Counts, not times, are the
 * figures here; the emulator runs in this process.
 */
import { performance } from "node:perf_hooks";
import { Agent } from "undici";
import { sandboxEndpoints } from "../cloud/endpoints";
import { runDiscovery } from "../discover/run";
import { DEMO_CREDENTIALS, startEmulator } from "../emulator";
import { fleetTenants, fleetWorld } from "./fleet-fixture";
import { temporaryStacks } from "./sandbox-run";

export interface DiscoveryMeasurement {
  readonly customers: number;
  readonly declared: number;
  /** Tenant files discovery proposed: should be customers − declared. */
  readonly proposed: number;
  readonly relationshipPages: number;
  /** Relationships whose access assignments were read: the undeclared customers'. */
  readonly assignmentChecks: number;
  readonly tenantLookups: number;
  /** Graph HTTP requests the emulator served ($batch counted once). */
  readonly graphRequests: number;
  /** Items inside those batches. */
  readonly batchItems: number;
  readonly tokenRequests: number;
  /** The bound the design allows: one request per page plus one per relationship checked. */
  readonly bound: number;
  readonly ms: number;
}

export async function measureDiscovery(customers: number, declared: number): Promise<DiscoveryMeasurement> {
  if (declared < 1 || declared > customers) throw new Error(`declared must be between 1 and ${customers}, got ${declared}.`);
  const fleet = fleetTenants(customers);
  const emulator = await startEmulator({ world: fleetWorld("fresh", fleet), clockSpeed: 0 });
  const stacks = temporaryStacks(fleet.slice(0, declared));
  const agent = new Agent({ connect: { ca: emulator.caCertificatePem } });
  try {
    const before = emulator.requests();
    const started = performance.now();
    const { report } = await runDiscovery(
      {
        stacksDir: stacks.dir,
        write: false,
        endpoints: sandboxEndpoints(emulator.baseUrl),
        credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
        refreshToken: DEMO_CREDENTIALS.refreshToken,
      },
      {
        dispatcher: agent,
        clock: () => emulator.clock.now(),
        sleep: (ms) => {
          emulator.clock.advance(Math.max(0, Math.ceil(ms)));
          return Promise.resolve();
        },
      },
    );
    const ms = performance.now() - started;
    const after = emulator.requests();
    const graph = (after.byService["graph"] ?? 0) - (before.byService["graph"] ?? 0);
    return {
      customers,
      declared,
      proposed: report.proposed.length,
      relationshipPages: report.cost.relationshipPages,
      assignmentChecks: report.cost.assignmentChecks,
      tenantLookups: report.cost.tenantLookups,
      graphRequests: graph,
      batchItems: after.inner.total - before.inner.total,
      tokenRequests: (after.byService["login"] ?? 0) - (before.byService["login"] ?? 0),
      bound: report.cost.relationshipPages + report.cost.assignmentChecks,
      ms,
    };
  } finally {
    await agent.close();
    await emulator.stop();
    stacks.remove();
  }
}
