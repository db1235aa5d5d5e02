/**
 * Reads tenants' live state without planning or writing anything: what `cipp-cpv synth --adopt`
 * needs to adopt what each tenant holds. The same two-request read as a plan (one token, one
 * `$batch` for a consented tenant), over the same clients and scheduler as the engine.
 */
import { GRAPH_WRITE_LIMITS, WriteBudget } from "../cloud";
import type { DesiredTenant, Fleet } from "../desired/model";
import type { LiveReading } from "../live/model";
import { DEFAULT_BOOTSTRAP_SCOPES } from "../plan/bootstrap";
import { cloudTenantPort } from "../tenant/cloud-port";
import { endpointsFor, microsoftClientsFor, type EngineDeps } from "./engine";
import { problemOf } from "../apply/operation-error";
import type { RunRequest } from "./run-request";
import { runJobs } from "./scheduler";
import { timingOf } from "../apply/timing";

/** What reading needs: where, as whom, how many at once. */
export type ReadRequest = Pick<RunRequest, "endpoints" | "caCertificates" | "credential" | "refreshToken" | "concurrency" | "onProgress">;

/** Each tenant's reading, by tenant id; a read that threw is an inaccessible reading with the cause. */
export async function readFleet(
  fleet: Fleet,
  tenants: readonly DesiredTenant[],
  request: ReadRequest,
  deps: EngineDeps = {},
): Promise<Map<string, LiveReading>> {
  const timing = timingOf(deps);
  const writeBudget = new WriteBudget(GRAPH_WRITE_LIMITS, timing.clock, timing.sleep);
  const clients = microsoftClientsFor(endpointsFor(request, fleet), request, fleet, deps, timing, writeBudget);
  const unreadable = (error: unknown): LiveReading => ({
    kind: "inaccessible",
    problem: problemOf("Reading the tenant", error, "Run again; if it keeps failing, check the error above."),
  });
  const readings = await runJobs(
    tenants.map((tenant) => ({
      key: tenant.defaultDomain,
      run: () => cloudTenantPort(tenant, { clients, settings: fleet.settings, bootstrapScopes: DEFAULT_BOOTSTRAP_SCOPES }).read(),
    })),
    {
      concurrency: request.concurrency ?? 10,
      now: timing.clock,
      onCrash: (_key, error) => unreadable(error),
      describe: (reading) => ({ failed: reading.kind === "inaccessible", outcome: reading.kind }),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    },
  );
  return new Map(tenants.map((tenant, i) => [tenant.tenantId, readings[i] as LiveReading]));
}
