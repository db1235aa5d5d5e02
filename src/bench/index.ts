/**
 * `npm run bench`: measures, in one run, what planning and refreshing a fleet cost against the
 * sandbox emulator, and prints the figures with their ratios. A benchmark reports, it does not
 * judge: it exits 0 whatever the figures, and 1 only when the run itself failed (a scenario could
 * not run, or its tenants did not reach the state the scenario measures).
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { Command } from "commander";
import { positiveInteger, positiveNumber } from "../cli/arguments";
import { BENCH_WIRE } from "./bench-wire";
import { measureColdStarts } from "./cold-start-scenario";
import { measureDiscovery, type DiscoveryMeasurement } from "./discovery-scenario";
import { measureFirstRefresh } from "./first-refresh-scenario";
import { measureCliPlan, type MemoryMeasurement } from "./memory-scenario";
import { measurePlan } from "./plan-scenario";
import { benchRows, renderTable, type BenchResults } from "./report-table";
import { measureRollout } from "./rollout-scenario";
import { measureSideBySide } from "./side-by-side-scenario";
import { measureSynth } from "./synth-scenario";

interface BenchOptions {
  readonly tenants: number;
  readonly speed: number;
  readonly concurrency: number;
  readonly quick?: boolean;
  readonly json?: string;
  readonly customers: number;
  readonly sideBySide: number;
  readonly sideBySideSpeed: number;
  readonly memory: readonly number[];
  readonly coldStartRuns: number;
}

const QUICK_TENANTS = 50;
const QUICK_MEMORY = [100, 1_000];
const FULL_MEMORY = [1_000, 10_000];
const QUICK_COLD_START_RUNS = 5;

/**
 * Virtual ms per real ms for the rollout. At 4, a 1,000-tenant rollout's ~13 virtual minutes take
 * about 3 real minutes, and on two processors neither process is busy more than about half of them,
 * so CPU work does not set the virtual time (the table prints the measured shares to check).
 */
const DEFAULT_SPEED = 4;

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("bench")
    .description("Measure plan and refresh costs of a generated fleet against the sandbox emulator.")
    .option("--tenants <n>", "tenants in the generated fleets", positiveInteger, 1000)
    .option("--speed <s>", "virtual ms per real ms for the throttled rollout", positiveNumber, DEFAULT_SPEED)
    .option("--concurrency <n>", "tenants processed at once (the engine's default is 10)", positiveInteger, 10)
    .option("--customers <n>", "GDAP customers of the discovery scenario (a tenth of them declared)", positiveInteger, 10_000)
    .option("--side-by-side <n>", "tenants of each fleet run by both cipp-cpv and CIPP's call sequence", positiveInteger, 1000)
    .option(
      "--side-by-side-speed <s>",
      "virtual ms per real ms for the side-by-side runs (at 1 processor time is not magnified into virtual time)",
      positiveNumber,
      1,
    )
    .option("--memory <sizes>", "fleet sizes of the CLI memory rows, comma-separated", sizes, FULL_MEMORY)
    .option("--cold-start-runs <n>", "runs of each cold start (the median is reported)", positiveInteger, 11)
    .option(
      "--quick",
      `a smoke run: ${QUICK_TENANTS} tenants (side by side too), ${QUICK_TENANTS * 10} GDAP customers, memory rows at ${QUICK_MEMORY.join(" and ")}, ${QUICK_COLD_START_RUNS} cold starts each`,
    )
    .option("--json <file>", "also write every measured figure as JSON to this file")
    .parse(argv);
  const options = program.opts<BenchOptions>();
  const tenants = options.quick ? QUICK_TENANTS : options.tenants;
  const startedAt = new Date().toISOString();

  const sideBySideTenants = options.quick ? QUICK_TENANTS : options.sideBySide;
  // --quick shrinks what it is not told: `--quick --memory 1000,10000` keeps the full memory rows.
  const memorySizes = options.quick && program.getOptionValueSource("memory") !== "cli" ? QUICK_MEMORY : options.memory;
  const coldStartRuns = options.quick ? QUICK_COLD_START_RUNS : options.coldStartRuns;
  const wire = BENCH_WIRE;

  progress(`1/9 Planning a converged fleet of ${tenants} tenants (and 1 tenant alone for the baseline), 50-150 ms latency...`);
  const plan = await measurePlan(tenants, options.concurrency, wire);
  progress("2/9 First refresh of one never-consented tenant, with latency and replication lag...");
  const firstRefresh = await measureFirstRefresh(wire);
  progress(`3/9 First-time rollout of ${tenants} tenants under the documented limits at clock speed ${options.speed}...`);
  const rollout = await measureRollout(tenants, options.speed, options.concurrency, wire);

  progress(`4/9 Synthesizing the Terraform stacks of ${tenants} tenants...`);
  const synth = await measureSynth(tenants);

  const customers = options.quick ? QUICK_TENANTS * 10 : options.customers;
  const declared = Math.max(1, Math.floor(customers / 10));
  progress(`5/9 Discovering ${customers} GDAP customers, ${declared} of them declared...`);
  const discovery = await measureDiscovery(customers, declared);

  const sideBySide = { speed: options.sideBySideSpeed, concurrency: options.concurrency, wire, throttle: true, tenants: sideBySideTenants };
  progress(
    `6/9 CIPP side by side: ${sideBySideTenants} never-consented tenants, cipp-cpv then CIPP's call sequence, clock speed ${options.sideBySideSpeed}...`,
  );
  const fresh = await measureSideBySide({ ...sideBySide, kind: "fresh" });
  progress(`7/9 CIPP side by side: ${sideBySideTenants} converged tenants, cipp-cpv, CIPP's nightly, CIPP's manual refresh...`);
  const converged = await measureSideBySide({ ...sideBySide, kind: "converged" });

  const memory: MemoryMeasurement[] = [];
  for (const size of memorySizes) {
    progress(`8/9 cipp-cpv plan of ${size.toLocaleString("en")} converged tenants as its own process...`);
    memory.push(await measureCliPlan(size, options.concurrency));
  }
  progress(`9/9 Cold starts, ${coldStartRuns} runs each...`);
  const coldStarts = await measureColdStarts(coldStartRuns);

  const results: BenchResults = { plan, firstRefresh, rollout, synth, sideBySide: { fresh, converged }, memory, coldStarts };
  process.stdout.write(`${renderTable(benchRows(results))}\n`);
  process.stdout.write(`${discoveryTable(discovery)}\n`);
  if (options.json !== undefined) {
    const machine = { node: process.version, platform: process.platform, processors: cpus().length };
    const effective = { ...options, tenants, sideBySide: sideBySideTenants, memory: memorySizes, coldStartRuns, wire };
    writeFileSync(
      options.json,
      `${JSON.stringify({ startedAt, machine, options: effective, results: { ...results, discovery }, ratios: ratiosOf(results) }, null, 2)}\n`,
    );
    progress(`Wrote ${options.json}.`);
  }

  const failures = runFailures(results);
  if (discovery.proposed !== customers - declared)
    failures.push(`discovery proposed ${discovery.proposed} files, not ${customers - declared}.`);
  for (const failure of failures) process.stderr.write(`The run failed: ${failure}\n`);
  return failures.length > 0 ? 1 : 0;
}

/** Why the figures do not describe what the scenarios mean to measure, if they do not. */
function runFailures(results: BenchResults): string[] {
  const failures: string[] = [];
  const { plan, firstRefresh, rollout } = results;
  if ((plan.statuses["converged"] ?? 0) !== plan.tenants)
    failures.push(`not every tenant of the converged fleet planned converged (${JSON.stringify(plan.statuses)}).`);
  if (firstRefresh.status !== "changed" || !firstRefresh.converged)
    failures.push(`the first refresh ended "${firstRefresh.status}"${firstRefresh.converged ? "" : " without converging"}.`);
  if (results.synth.stacks !== results.synth.tenants)
    failures.push(`synth wrote ${results.synth.stacks} stacks for ${results.synth.tenants} tenants.`);
  if ((rollout.statuses["changed"] ?? 0) !== rollout.tenants)
    failures.push(`not every tenant of the rollout was changed (${JSON.stringify(rollout.statuses)}).`);
  for (const [kind, expected] of [
    ["fresh", "changed"],
    ["converged", "converged"],
  ] as const) {
    const ours = results.sideBySide[kind].find((c) => c.client === "cipp-cpv");
    if ((ours?.statuses[expected] ?? 0) !== ours?.tenants)
      failures.push(`side by side, cipp-cpv did not end every ${kind} tenant ${expected} (${JSON.stringify(ours?.statuses)}).`);
  }
  for (const m of results.memory)
    if (m.exitCode !== 0) failures.push(`cipp-cpv plan over ${m.tenants} converged tenants exited ${String(m.exitCode)}.`);
  for (const c of results.coldStarts) if (!c.exitCodesAsExpected) failures.push(`${c.name} did not exit as expected.`);
  return failures;
}

/** The ratios the table prints, for the JSON file. */
function ratiosOf(results: BenchResults): Record<string, number | null> {
  const ratios: Record<string, number | null> = {};
  const div = (a: number, b: number): number | null => (b > 0 ? a / b : null);
  for (const kind of ["fresh", "converged"] as const) {
    const clients = results.sideBySide[kind];
    const ours = clients.find((c) => c.client === "cipp-cpv");
    if (ours === undefined) continue;
    for (const c of clients) {
      if (c.client === "cipp-cpv") continue;
      ratios[`${kind}.${c.client}/cipp-cpv.requests`] = div(c.wire.requests, ours.wire.requests);
      ratios[`${kind}.${c.client}/cipp-cpv.tokens`] = div(c.wire.tokenRequests, ours.wire.tokenRequests);
      ratios[`${kind}.${c.client}/cipp-cpv.writes`] = div(c.wire.writes, ours.wire.writes);
      ratios[`${kind}.${c.client}/cipp-cpv.wallTime`] = div(c.virtualMs, ours.virtualMs);
    }
    for (const c of clients) ratios[`${kind}.${c.client}.wallTime/lowerBound`] = div(c.virtualMs, c.lowerBound.ms);
  }
  const small = results.memory[0];
  const large = results.memory[results.memory.length - 1];
  if (small !== undefined && large !== undefined && large !== small) {
    ratios[`memory.peakRss.${large.tenants}/${small.tenants}`] = div(large.maxRssBytes, small.maxRssBytes);
    ratios[`memory.perTenantTime.${large.tenants}/${small.tenants}`] = div(large.perTenantMs, small.perTenantMs);
  }
  for (const c of results.coldStarts) ratios[`coldStart.${c.name}/bareNode`] = div(c.medianMs, c.bareMedianMs);
  ratios["plan.wallTime/lowerBound"] = div(results.plan.planMs, results.plan.lowerBoundMs);
  ratios["firstRefresh.wallTime/lowerBound"] = div(results.firstRefresh.realMs, results.firstRefresh.lowerBoundMs);
  ratios["rollout.virtualTime/roundTripBound"] = div(results.rollout.virtualMs, results.rollout.roundTripBoundMs);
  return ratios;
}

/** "1000,10000" as fleet sizes. */
function sizes(value: string): number[] {
  const parsed = value.split(",").map((v) => positiveInteger(v.trim()));
  if (parsed.length === 0) throw new Error("--memory needs at least one fleet size.");
  return parsed;
}

/** The discovery figures, with the ratio to the one-request-per-page-plus-one-per-relationship bound. */
function discoveryTable(d: DiscoveryMeasurement): string {
  const rows: [string, string][] = [
    [
      `discovery, ${d.customers.toLocaleString("en")} GDAP customers (${d.declared.toLocaleString("en")} declared)`,
      `${d.proposed.toLocaleString("en")} files proposed in ${(d.ms / 1000).toFixed(1)} s`,
    ],
    [
      "  requests",
      `${d.graphRequests} Graph (${d.relationshipPages} pages, ${d.graphRequests - d.relationshipPages} $batch carrying ${d.batchItems} reads), ${d.tokenRequests} tokens`,
    ],
    [
      "  against the bound",
      `${d.graphRequests} / ${d.bound} (1 per page + 1 per relationship checked) = ${(d.graphRequests / d.bound).toFixed(2)}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`The benchmark could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
