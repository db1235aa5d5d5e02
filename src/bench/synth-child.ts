/**
 * The synthesis the benchmark measures, alone in its own process so that its peak memory is its
 * own: loads the stacks given as argv[2], synthesizes them into argv[3] (cdktf's outdir), and
 * prints one JSON line with its times and its peak resident set size.
 */
import { synthesizeStacks } from "../construct/fleet-app";
import { loadFleet } from "../desired/load";

/** What the child prints. */
export interface SynthChildReport {
  readonly stacks: number;
  readonly loadMs: number;
  readonly synthMs: number;
  /** Processor time (user + system) of the whole process, in ms. */
  readonly cpuMs: number;
  /** Peak resident set size of the whole process, in bytes. */
  readonly maxRssBytes: number;
}

const [stacksDir, outdir] = process.argv.slice(2);
if (stacksDir === undefined || outdir === undefined) throw new Error("usage: synth-child <stacks dir> <outdir>");
const started = performance.now();
const fleet = loadFleet(stacksDir);
const loaded = performance.now();
const report = synthesizeStacks(fleet, { outdir });
const done = performance.now();
const usage = process.resourceUsage();
const result: SynthChildReport = {
  stacks: report.tenants.filter((t) => t.stack !== null).length,
  loadMs: loaded - started,
  synthMs: done - loaded,
  cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
  // resourceUsage reports kilobytes.
  maxRssBytes: usage.maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
