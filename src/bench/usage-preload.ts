/**
 * Loaded into a measured child process with `node --require`: when the process exits, it writes
 * its peak resident set size and processor time, as the operating system counts them, to the file
 * the benchmark named in CIPP_CPV_BENCH_USAGE_FILE. The measured program itself is unchanged.
 *
 * The peak is Linux's VmHWM (/proc/self/status), the high-water mark of this program's own address
 * space. getrusage's maxrss is not used where VmHWM exists: Linux carries it across fork and exec,
 * so a child started by a large parent (a jest worker, the benchmark) reports at least the
 * parent's resident set at the fork, not its own.
 */
import { readFileSync, writeFileSync } from "node:fs";

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
    const report: ProcessUsage = {
      maxRssBytes: ownPeakBytes() ?? usage.maxRSS * 1024,
      cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    };
    writeFileSync(target, JSON.stringify(report));
  });
}

/** VmHWM in bytes, or null where /proc is not Linux's. */
function ownPeakBytes(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
