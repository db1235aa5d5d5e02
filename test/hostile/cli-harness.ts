/** The CLI run in-process against a fresh emulator, with stdout and stderr captured. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createOutput, type Output } from "../../src/cli/output";
import { DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";

export const STACKS = path.resolve(__dirname, "../../stacks");

export interface Captured {
  readonly output: Output;
  stdout(): string;
  stderr(): string;
}

export function capture(): Captured {
  let out = "";
  let err = "";
  const output = createOutput({ stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { output, stdout: () => out, stderr: () => err };
}

export interface Sandbox {
  readonly emulator: RunningEmulator;
  readonly work: string;
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
}

export async function startSandbox(): Promise<Sandbox> {
  const emulator = await startEmulator();
  const work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-hostile-"));
  const caFile = path.join(work, "ca.pem");
  writeFileSync(caFile, emulator.caCertificatePem);
  return {
    emulator,
    work,
    env: (extra = {}) => ({
      CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
      CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
      CIPP_CPV_SANDBOX_URL: emulator.baseUrl,
      CIPP_CPV_CA_FILE: caFile,
      ...extra,
    }),
  };
}
