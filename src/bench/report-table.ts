/**
 * The benchmark's printed table: every figure with its unit, the targets beside the figures they
 * judge, and the ratios. Formatting only; all numbers come from the measurements.
 */
import type { ColdStart } from "./cold-start-scenario";
import type { FirstRefreshMeasurement } from "./first-refresh-scenario";
import type { MemoryMeasurement } from "./memory-scenario";
import type { PlanMeasurement } from "./plan-scenario";
import type { RolloutMeasurement } from "./rollout-scenario";
import type { ClientMeasurement } from "./side-by-side-scenario";
import type { SynthMeasurement } from "./synth-scenario";

/** Everything one bench run measured. */
export interface BenchResults {
  readonly plan: PlanMeasurement;
  readonly firstRefresh: FirstRefreshMeasurement;
  readonly rollout: RolloutMeasurement;
  readonly synth: SynthMeasurement;
  /** CIPP side by side: a never-consented fleet, then a converged one. */
  readonly sideBySide: { readonly fresh: readonly ClientMeasurement[]; readonly converged: readonly ClientMeasurement[] };
  /** `cipp-cpv plan` as its own process, smaller fleet first. */
  readonly memory: readonly MemoryMeasurement[];
  readonly coldStarts: readonly ColdStart[];
}

/** One line of the table: a section heading when `value` is absent. */
export interface Row {
  readonly label: string;
  readonly value?: string;
  readonly note?: string;
}

/** A share of the processors' time above which the rollout's virtual time may be CPU time, not pacing. */
const CPU_HEAVY_SHARE = 0.5;

export function benchRows(results: BenchResults): Row[] {
  return [
    ...planRows(results.plan),
    ...firstRefreshRows(results.firstRefresh),
    ...rolloutRows(results.rollout),
    ...synthRows(results.synth, results.plan),
    ...sideBySideRows("5. CIPP side by side, a never-consented fleet: cipp-cpv refresh and CIPP's nightly", results.sideBySide.fresh),
    ...sideBySideRows(
      "6. CIPP side by side, a converged fleet: cipp-cpv refresh, CIPP's nightly and CIPP's manual refresh",
      results.sideBySide.converged,
    ),
    ...memoryRows(results.memory),
    ...coldStartRows(results.coldStarts),
  ];
}

const CLIENT_NAMES: Record<ClientMeasurement["client"], string> = {
  "cipp-cpv": "cipp-cpv refresh",
  "cipp-nightly": "CIPP nightly",
  "cipp-refresh": "CIPP manual refresh",
};

function sideBySideRows(title: string, clients: readonly ClientMeasurement[]): Row[] {
  const ours = clients.find((c) => c.client === "cipp-cpv");
  const first = clients[0];
  if (ours === undefined || first === undefined) return [];
  const rows: Row[] = [
    { label: `${title}; ${first.tenants} tenants, ${first.concurrency} at a time, same world, same wire, clock speed ${first.speed}` },
  ];
  for (const c of clients) {
    rows.push({
      label: `${CLIENT_NAMES[c.client]}: requests / tokens / writes`,
      value: `${c.wire.requests} / ${c.wire.tokenRequests} / ${c.wire.writes}`,
      note: `${fixed(c.wire.requests / c.tenants, 1)} requests per tenant; ${statusNote(c.statuses)}; 429s ${c.wire.throttledResponses} whole, ${c.wire.throttledBatchItems} in batches`,
    });
    rows.push({
      label: `${CLIENT_NAMES[c.client]}: wall time (virtual)`,
      value: seconds(c.virtualMs),
      note: `lower bound ${seconds(c.lowerBound.ms)} (round trips ${seconds(c.lowerBound.roundTripsMs)}${c.cippAccount && c.cippAccount.fixedWaitMs > 0 ? ` incl. fixed waits ${seconds(c.cippAccount.fixedWaitMs)} / ${c.concurrency}` : ""}, write budgets ${seconds(c.lowerBound.throttleMs)}); ${seconds(c.realMs)} real`,
    });
    const clientShare = c.cpuMs.client / c.realMs;
    const emulatorShare = c.cpuMs.emulator / c.realMs;
    rows.push({
      label: `${CLIENT_NAMES[c.client]}: processor time / real time`,
      value: `client ${fixed(clientShare, 2)}, emulator ${fixed(emulatorShare, 2)}`,
      note:
        Math.max(clientShare, emulatorShare) > CPU_HEAVY_SHARE
          ? "CPU-heavy: the wall time is partly this machine's processor time"
          : "the wire, not the processor, sets the wall time",
    });
  }
  for (const c of clients) {
    if (c.client === "cipp-cpv") continue;
    rows.push({
      label: `${CLIENT_NAMES[c.client]} / cipp-cpv`,
      value: `${ratio(c.wire.requests, ours.wire.requests)} req`,
      note: `tokens ${ratio(c.wire.tokenRequests, ours.wire.tokenRequests)}, writes ${ratio(c.wire.writes, ours.wire.writes)}, wall time ${ratio(c.virtualMs, ours.virtualMs)}`,
    });
  }
  return rows;
}

function memoryRows(runs: readonly MemoryMeasurement[]): Row[] {
  if (runs.length === 0) return [];
  const rows: Row[] = [
    { label: "7. cipp-cpv plan of a converged fleet as its own process (emulator in another), peak RSS from the operating system" },
  ];
  for (const m of runs) {
    rows.push({
      label: `plan, ${m.tenants.toLocaleString("en")} tenants: peak RSS`,
      value: `${Math.round(m.maxRssBytes / 1_048_576)} MB`,
      note: `target < 512 MB; ${seconds(m.wallMs)} wall, ${millis(m.perTenantMs)} per tenant, ${seconds(m.cpuMs)} processor time; exit ${String(m.exitCode)}`,
    });
  }
  const small = runs[0];
  const large = runs[runs.length - 1];
  if (small !== undefined && large !== undefined && large !== small) {
    const scale = `${large.tenants.toLocaleString("en")} / ${small.tenants.toLocaleString("en")}`;
    rows.push({ label: `Peak RSS at ${scale}`, value: fixed(large.maxRssBytes / small.maxRssBytes, 2), note: "target <= 1.3 (flat)" });
    rows.push({
      label: `Time per tenant at ${scale}`,
      value: fixed(large.perTenantMs / small.perTenantMs, 2),
      note: "target <= 1.1 (linear)",
    });
  }
  return rows;
}

function coldStartRows(starts: readonly ColdStart[]): Row[] {
  if (starts.length === 0) return [];
  return [
    { label: `8. Cold start, whole process, median of ${starts[0]?.runs ?? 0} runs against a bare \`node -e 0\` on the same binary` },
    ...starts.map((c) => ({
      label: c.name,
      value: millis(c.medianMs),
      note:
        `target < 300 ms; bare node ${millis(c.bareMedianMs)} (${c.nodeVersion}), ratio ${fixed(c.medianMs / c.bareMedianMs, 1)}; ` +
        `peak RSS ${Math.round(c.medianRssBytes / 1_048_576)} MB vs ${Math.round(c.bareMedianRssBytes / 1_048_576)} MB` +
        (c.exitCodesAsExpected ? "" : "; UNEXPECTED EXIT CODE"),
    })),
  ];
}

function synthRows(s: SynthMeasurement, p: PlanMeasurement): Row[] {
  const reads = s.planReadsPerTenant.dataSources + s.planReadsPerTenant.resources;
  const ours = p.requestsPerTenant.token + p.requestsPerTenant.api;
  return [
    { label: `4. Terraform stacks of ${s.tenants} tenants managed by Terraform (cipp-cpv synth, no live state), in a child process` },
    {
      label: "Stacks written",
      value: `${s.stacks} of ${s.tenants}`,
      note: `${(s.outputBytes / 1_000_000).toFixed(1)} MB of configuration`,
    },
    {
      label: "Synth wall time",
      value: seconds(s.wallMs),
      note: `target < 20 s; declarations load ${seconds(s.child.loadMs)}, synth ${seconds(s.child.synthMs)}, processor time ${seconds(s.child.cpuMs)}`,
    },
    { label: "Synth peak memory (child's peak RSS)", value: `${Math.round(s.child.maxRssBytes / 1_048_576)} MB`, note: "target < 400 MB" },
    {
      label: "Graph reads per tenant, terraform plan",
      value: `>= ${reads}`,
      note: `one per instance refreshed: ${s.planReadsPerTenant.dataSources} data sources, ${s.planReadsPerTenant.resources} assignments and grants; tokens besides`,
    },
    {
      label: "Requests per tenant, terraform plan / cipp-cpv plan",
      value: `>= ${fixed(reads / ours, 1)}`,
      note: `cipp-cpv plan: ${fixed(ours, 2)} (section 1)`,
    },
  ];
}

function planRows(p: PlanMeasurement): Row[] {
  const perTenant = p.requestsPerTenant.token + p.requestsPerTenant.api;
  return [
    { label: `1. Plan of a converged fleet: ${p.tenants} tenants, ${p.concurrency} at a time` },
    { label: "Tenants planned converged", value: `${p.statuses["converged"] ?? 0} of ${p.tenants}`, note: statusNote(p.statuses) },
    {
      label: "Token requests per tenant",
      value: fixed(p.requestsPerTenant.token, 2),
      note: `busiest tenant ${p.maxRequestsOfOneTenant.token}`,
    },
    { label: "API requests per tenant", value: fixed(p.requestsPerTenant.api, 2), note: `busiest tenant ${p.maxRequestsOfOneTenant.api}` },
    { label: "HTTP requests per tenant", value: fixed(perTenant, 2), note: "target <= 2 (one token, one batch)" },
    {
      label: `Plan time, ${p.tenants} tenants`,
      value: seconds(p.planMs),
      note: `lower bound ${seconds(p.lowerBoundMs)} (round trips at 50 ms, ${p.peakInFlight} in flight); declarations load ${seconds(p.declarationsLoadMs)}`,
    },
    { label: `Time per tenant at ${p.tenants} tenants`, value: millis(p.perTenantMs) },
    {
      label: "Time for 1 tenant alone",
      value: millis(p.singleTenantMs),
      note: `median of ${p.singleTenantRunsMs.length} runs after a warm-up`,
    },
    { label: `Scaling: per-tenant time at ${p.tenants} / at 1`, value: fixed(p.scaling, 3), note: "below 1: concurrency pays off" },
  ];
}

function firstRefreshRows(f: FirstRefreshMeasurement): Row[] {
  return [
    { label: "2. First refresh of one never-consented tenant, 50-150 ms latency and replication lag" },
    { label: "Outcome", value: f.status, note: f.converged ? "read-back converged" : "read-back NOT converged" },
    {
      label: "Requests besides tokens",
      value: String(f.apiRequests),
      note: `target <= 10; Graph ${f.graphRequests}, Partner Center ${f.partnerCenterRequests}`,
    },
    { label: "Token requests", value: String(f.tokenRequests) },
    { label: "Graph writes ($batch write items)", value: String(f.graphWrites), note: `plus ${f.graphBatchReads} read items in batches` },
    {
      label: "Wall time",
      value: seconds(f.realMs),
      note: `lower bound ${seconds(f.lowerBoundMs)} (round trips at 50 ms); the rest is replication lag waited out`,
    },
  ];
}

function rolloutRows(r: RolloutMeasurement): Row[] {
  const documented = r.bounds.documented.binding;
  const client = r.bounds.client.binding;
  const percent = Math.round(r.bounds.client.share * 100);
  const engineShare = r.cpuMs.engine / r.realMs;
  const emulatorShare = r.cpuMs.emulator / r.realMs;
  const cpuHeavy = Math.max(engineShare, emulatorShare) > CPU_HEAVY_SHARE;
  return [
    { label: `3. First-time rollout of ${r.tenants} tenants under the documented limits, ${r.concurrency} at a time` },
    { label: "Tenants changed", value: `${r.statuses["changed"] ?? 0} of ${r.tenants}`, note: statusNote(r.statuses) },
    { label: "Graph writes", value: String(r.graphWrites), note: `${fixed(r.graphWrites / r.tenants, 1)} per tenant` },
    { label: "Partner Center consents", value: String(r.partnerCenterRequests) },
    { label: "Graph requests / token requests", value: `${r.graphRequests} / ${r.tokenRequests}` },
    { label: "429 responses received", value: String(r.throttled.responses) },
    {
      label: "429 batch items received",
      value: String(r.throttled.batchItems),
      note: `engine retries for 429/503: ${r.throttled.engineRetries}; target 0 or near 0`,
    },
    { label: "Clock speed S (virtual ms per real ms)", value: String(r.speed) },
    { label: "Rollout time, virtual", value: minutes(r.virtualMs) },
    { label: "Rollout time, real", value: seconds(r.realMs) },
    {
      label: "Lower bound from round trips (virtual)",
      value: minutes(r.roundTripBoundMs),
      note: "every request at 50 ms, as many in flight as were seen",
    },
    {
      label: "Processor time / real time",
      value: `engine ${fixed(engineShare, 2)}, emulator ${fixed(emulatorShare, 2)}`,
      note: cpuHeavy ? "CPU-heavy: virtual time may be CPU time; run again with a lower --speed" : "pacing, not CPU, sets the virtual time",
    },
    ...r.bounds.documented.each.map((b) => ({
      label: `Lower bound at 100 %, ${b.limit}`,
      value: minutes(b.steadyMs),
      note: `work / rate; ${minutes(b.burstMs)} after a first full bucket`,
    })),
    {
      label: "Lower bound at 100 % (binding)",
      value: minutes(documented.steadyMs),
      note: `${documented.limit}; ${minutes(documented.burstMs)} after a first full bucket`,
    },
    {
      label: `Lower bound at ${percent} % (binding)`,
      value: minutes(client.steadyMs),
      note: `${client.limit}; ${minutes(client.burstMs)} after a first full bucket; the client paces to ${percent} %`,
    },
    {
      label: "Virtual time / lower bound at 100 %",
      value: fixed(r.virtualMs / documented.steadyMs, 3),
      note: `${ratioOrNone(r.virtualMs, documented.burstMs)} against the bound after a first full bucket`,
    },
    {
      label: `Virtual time / lower bound at ${percent} %`,
      value: fixed(r.virtualMs / client.steadyMs, 3),
      note: `${ratioOrNone(r.virtualMs, client.burstMs)} against the bound after a first full bucket (buckets, Graph's and the client's, start full)`,
    },
  ];
}

/** The rows as an aligned plain-text table. */
export function renderTable(rows: readonly Row[]): string {
  const labelWidth = Math.max(...rows.filter((r) => r.value !== undefined).map((r) => r.label.length));
  const valueWidth = Math.max(...rows.map((r) => r.value?.length ?? 0));
  return rows
    .map((r) =>
      r.value === undefined
        ? `\n${r.label}`
        : `  ${r.label.padEnd(labelWidth)}  ${r.value.padStart(valueWidth)}${r.note ? `  ${r.note}` : ""}`,
    )
    .join("\n")
    .trimStart();
}

function statusNote(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([status, count]) => `${status} ${count}`)
    .join(", ");
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);
const millis = (ms: number): string => `${ms.toFixed(1)} ms`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const minutes = (ms: number): string => `${(ms / 60_000).toFixed(2)} min`;
/** CIPP's figure over cipp-cpv's; "n / 0" where cipp-cpv sent none. */
const ratio = (cipp: number, ours: number): string => (ours > 0 ? `${fixed(cipp / ours, 2)}x` : `${cipp} vs 0`);
const ratioOrNone = (numerator: number, denominator: number): string =>
  denominator > 0 ? fixed(numerator / denominator, 3) : "no ratio (0)";
