/**
 * Runs a command as a child process of its own and measures it as a whole: wall time from spawn
 * to exit, and (for Node programs, through usage-preload.ts) its peak resident set size and
 * processor time as the operating system reports them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { ProcessUsage } from "./usage-preload";

export interface MeasuredProcess {
  readonly exitCode: number | null;
  readonly wallMs: number;
  /** Null when the process did not write its usage (it is not a Node program, or it was killed). */
  readonly usage: ProcessUsage | null;
  /** The end of its standard error, for messages when it failed. */
  readonly stderrTail: string;
}

const PRELOAD = join(__dirname, "usage-preload.js");

/**
 * Runs `node [nodeArgs] script args` with `nodeBinary` (this process's own when absent),
 * standard output discarded.
 */
export async function measureNodeProcess(
  script: readonly string[],
  options: { readonly nodeBinary?: string; readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {},
): Promise<MeasuredProcess> {
  const dir = mkdtempSync(join(tmpdir(), "cipp-cpv-bench-usage-"));
  const usageFile = join(dir, "usage.json");
  try {
    const started = performance.now();
    const child = spawn(options.nodeBinary ?? process.execPath, ["--require", PRELOAD, ...script], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...(options.env ?? process.env), CIPP_CPV_BENCH_USAGE_FILE: usageFile },
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => void (stderr = (stderr + chunk.toString("utf8")).slice(-4000)));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => resolve(code));
    });
    const wallMs = performance.now() - started;
    let usage: ProcessUsage | null = null;
    try {
      usage = JSON.parse(readFileSync(usageFile, "utf8")) as ProcessUsage;
    } catch {
      usage = null;
    }
    return { exitCode, wallMs, usage, stderrTail: stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
