/**
 * `cipp-cpv emulator`: the sandbox on its own, for trying the CLI by hand or pointing other tools
 * at it. It prints its base URL; the CA certificate and the demo credentials go to files, never to
 * the terminal.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEMO_CREDENTIALS, startEmulator } from "../emulator";
import { exportWorld, readSavedWorld, saveWorld } from "../emulator/persist";
import { ENV } from "./environment";
import type { Output } from "./output";

export interface EmulatorFlags {
  readonly port?: number;
  readonly host?: string;
  /** Load the world from this file when it exists, and save it there on exit. */
  readonly state?: string;
  /** Folder for sandbox-ca.pem and sandbox.env. @default ".cipp-cpv" */
  readonly dir: string;
}

/** Starts the emulator and resolves once it has stopped (SIGINT/SIGTERM). */
export async function emulatorCommand(flags: EmulatorFlags, output: Output, signals: NodeJS.EventEmitter = process): Promise<number> {
  const saved = flags.state !== undefined ? readSavedWorld(flags.state) : undefined;
  const emulator = await startEmulator({
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(saved ? { world: saved } : {}),
  });
  mkdirSync(flags.dir, { recursive: true });
  const caFile = join(flags.dir, "sandbox-ca.pem");
  const envFile = join(flags.dir, "sandbox.env");
  output.file(caFile, emulator.caCertificatePem);
  // The demo credentials are illustrative, but they are credentials: a file readable by the
  // owner, not the terminal.
  output.secretFile(
    envFile,
    [
      `${ENV.sandboxUrl}=${emulator.baseUrl}`,
      `${ENV.caFile}=${resolve(caFile)}`,
      `${ENV.clientSecret}=${DEMO_CREDENTIALS.clientSecret}`,
      `${ENV.refreshToken}=${DEMO_CREDENTIALS.refreshToken}`,
      "",
    ].join("\n"),
  );
  output.redactor.register(DEMO_CREDENTIALS.clientSecret);
  output.redactor.register(DEMO_CREDENTIALS.refreshToken);
  output.out(emulator.baseUrl);
  output.err(
    [
      `Sandbox emulator of Entra ID, Microsoft Graph and Partner Center listening on ${emulator.baseUrl}` +
        (saved ? ` (world loaded from ${flags.state})` : " (demo world)"),
      `  CA certificate: ${caFile}   (curl --cacert ${caFile} ${emulator.baseUrl}/_emulator/requests)`,
      `  To use it from the CLI:  set -a; . ${envFile}; set +a; npx cipp-cpv plan`,
      "  Stop with Ctrl+C.",
    ].join("\n"),
  );

  await new Promise<void>((done) => {
    const stop = (): void => {
      signals.off("SIGINT", stop);
      signals.off("SIGTERM", stop);
      done();
    };
    signals.on("SIGINT", stop);
    signals.on("SIGTERM", stop);
  });
  if (flags.state !== undefined) {
    saveWorld(flags.state, exportWorld(emulator.world()));
    output.err(`World saved to ${flags.state}.`);
  }
  await emulator.stop();
  return 0;
}
