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
import { measureDiscovery, type DiscoveryMeasurement } from "./discovery-scenario";
import { measureFirstRefresh } from "./first-refresh-scenario";
import { measurePlan } from "./plan-scenario";
import { benchRows, renderTable, type BenchResults } from "./report-table";
import { measureRollout } from "./rollout-scenario";
import { measureSynth } from "./synth-scenario";

interface BenchOptions {
  readonly tenants: number;
  readonly speed: number;
  readonly concurrency: number;
  readonly quick?: boolean;
  readonly json?: string;
  readonly customers: number;
}

const QUICK_TENANTS = 50;

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
    .option("--quick", `a smoke run: ${QUICK_TENANTS} tenants, ${QUICK_TENANTS * 10} GDAP customers`)
    .option("--json <file>", "also write every measured figure as JSON to this file")
    .parse(argv);
  const options = program.opts<BenchOptions>();
  const tenants = options.quick ? QUICK_TENANTS : options.tenants;
  const startedAt = new Date().toISOString();

  progress(`1/4 Planning a converged fleet of ${tenants} tenants (and 1 tenant alone for the baseline)...`);
  const plan = await measurePlan(tenants, options.concurrency);
  progress("2/4 First refresh of one never-consented tenant...");
  const firstRefresh = await measureFirstRefresh();
  progress(`3/4 First-time rollout of ${tenants} tenants under the documented limits at clock speed ${options.speed}...`);
  const rollout = await measureRollout(tenants, options.speed, options.concurrency);

  progress(`4/5 Synthesizing the Terraform stacks of ${tenants} tenants...`);
  const synth = await measureSynth(tenants);

  const customers = options.quick ? QUICK_TENANTS * 10 : options.customers;
  const declared = Math.max(1, Math.floor(customers / 10));
  progress(`5/5 Discovering ${customers} GDAP customers, ${declared} of them declared...`);
  const discovery = await measureDiscovery(customers, declared);

  const results: BenchResults = { plan, firstRefresh, rollout, synth };
  process.stdout.write(`${renderTable(benchRows(results))}\n`);
  process.stdout.write(`${discoveryTable(discovery)}\n`);
  if (options.json !== undefined) {
    const machine = { node: process.version, platform: process.platform, processors: cpus().length };
    writeFileSync(options.json, `${JSON.stringify({ startedAt, machine, options: { ...options, tenants }, results: { ...results, discovery } }, null, 2)}\n`);
    progress(`Wrote ${options.json}.`);
  }

  const failures = runFailures(results);
  if (discovery.proposed !== customers - declared) failures.push(`discovery proposed ${discovery.proposed} files, not ${customers - declared}.`);
  for (const failure of failures) process.stderr.write(`The run failed: ${failure}\n`);
  return failures.length > 0 ? 1 : 0;
}

/** Why the figures do not describe what the scenarios mean to measure, if they do not. */
function runFailures(results: BenchResults): string[] {
  const failures: string[] = [];
  const { plan, firstRefresh, rollout } = results;
  if ((plan.statuses["converged"] ?? 0) !== plan.tenants) failures.push(`not every tenant of the converged fleet planned converged (${JSON.stringify(plan.statuses)}).`);
  if (firstRefresh.status !== "changed" || !firstRefresh.converged) failures.push(`the first refresh ended "${firstRefresh.status}"${firstRefresh.converged ? "" : " without converging"}.`);
  if (results.synth.stacks !== results.synth.tenants) failures.push(`synth wrote ${results.synth.stacks} stacks for ${results.synth.tenants} tenants.`);
  if ((rollout.statuses["changed"] ?? 0) !== rollout.tenants) failures.push(`not every tenant of the rollout was changed (${JSON.stringify(rollout.statuses)}).`);
  return failures;
}

/** The discovery figures, with the ratio to the one-request-per-page-plus-one-per-relationship bound. */
function discoveryTable(d: DiscoveryMeasurement): string {
  const rows: [string, string][] = [
    [`discovery, ${d.customers.toLocaleString("en")} GDAP customers (${d.declared.toLocaleString("en")} declared)`, `${d.proposed.toLocaleString("en")} files proposed in ${(d.ms / 1000).toFixed(1)} s`],
    ["  requests", `${d.graphRequests} Graph (${d.relationshipPages} pages, ${d.graphRequests - d.relationshipPages} $batch carrying ${d.batchItems} reads), ${d.tokenRequests} tokens`],
    ["  against the bound", `${d.graphRequests} / ${d.bound} (1 per page + 1 per relationship checked) = ${(d.graphRequests / d.bound).toFixed(2)}`],
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
