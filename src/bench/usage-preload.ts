/**
 * Loaded into a measured child process with `node --require`: when the process exits, it writes
 * its peak resident set size and processor time, as the operating system counts them
 * (getrusage, through process.resourceUsage), to the file the benchmark named in
 * CIPP_CPV_BENCH_USAGE_FILE. The measured program itself is unchanged.
 */
import { writeFileSync } from "node:fs";

/** What the preload writes. */
export interface ProcessUsage {
  /** Peak resident set size of the whole process, in bytes. */
  readonly maxRssBytes: number;
  /** Processor time (user + system), in ms. */
  readonly cpuMs: number;
}

const target = process.env["CIPP_CPV_BENCH_USAGE_FILE"];
if (target !== undefined && target !== "") {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    // resourceUsage reports kilobytes and microseconds.
    const report: ProcessUsage = { maxRssBytes: usage.maxRSS * 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 };
    writeFileSync(target, JSON.stringify(report));
  });
}
