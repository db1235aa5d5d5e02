/**
 * The built command line (lib/src/cli.js) as its own process against an emulator running in the
 * test process: the emulator counts every request the CLI sends, and the test can kill the CLI
 * with SIGKILL at a moment the emulator chooses (a stalled request).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Agent } from "undici";
import { runEngine } from "../../src/run/engine";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import { DEMO_CREDENTIALS, startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator";
import type { FleetPlan } from "../../src/plan/model";
import { trustingAgent } from "../helpers/emulator-client";

export const CLI = path.resolve(__dirname, "../../lib/src/cli.js");

export interface CliRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Polled every few milliseconds while the CLI runs; once it answers true the CLI is killed with SIGKILL. */
  readonly killWhen?: () => boolean;
}

/** Runs `node lib/src/cli.js ...args` and collects its output. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const watch =
    options.killWhen === undefined
      ? undefined
      : setInterval(() => {
          if (options.killWhen?.()) child.kill("SIGKILL");
        }, 2);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      if (watch) clearInterval(watch);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}

/** An emulator in this process, the CA file and environment the CLI needs to reach it, and an in-process plan. */
export interface CliBench {
  readonly emulator: RunningEmulator;
  readonly agent: Agent;
  /** A fresh temporary folder for this bench's files. */
  readonly work: string;
  readonly caFile: string;
  /** The environment of a CLI run: PATH, the demo's credentials and the sandbox's address, nothing else of this process's. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** A plan of `stacksDir`, run in this process over HTTPS against the same emulator. */
  plan(stacksDir: string): Promise<FleetPlan>;
  stop(): Promise<void>;
}

export async function startCliBench(options: EmulatorOptions = {}): Promise<CliBench> {
  const emulator = await startEmulator(options);
  const agent = trustingAgent(emulator.caCertificatePem);
  const work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-chaos-cli-"));
  const caFile = path.join(work, "emulator-ca.pem");
  writeFileSync(caFile, emulator.caCertificatePem);
  return {
    emulator,
    agent,
    work,
    caFile,
    env: (extra = {}) => ({
      PATH: process.env["PATH"] ?? "",
      HOME: work,
      TMPDIR: work,
      NO_COLOR: "1",
      CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
      CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
      CIPP_CPV_SANDBOX_URL: emulator.baseUrl,
      CIPP_CPV_CA_FILE: caFile,
      ...extra,
    }),
    plan: async (stacksDir) =>
      (
        await runEngine(
          {
            mode: "plan",
            stacksDir,
            endpoints: sandboxEndpoints(emulator.baseUrl),
            credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
            refreshToken: DEMO_CREDENTIALS.refreshToken,
          },
          { dispatcher: agent },
        )
      ).plan,
    stop: async () => {
      await agent.close();
      await emulator.stop();
    },
  };
}
