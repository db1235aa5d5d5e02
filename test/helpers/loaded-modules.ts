/**
 * What a child process loaded, by module: the fast start (README, "Start-up") is asserted by
 * the modules a command loads, never by its time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const RECORDER = path.join(__dirname, "record-modules.cjs");

/** What no quick path may load: the Microsoft clients, cdktf, the emulator and the permission catalogue. */
export const HEAVY: Readonly<Record<string, RegExp>> = {
  "@azure/msal-node": /[\\/]node_modules[\\/]@azure[\\/]msal-node[\\/]/,
  undici: /[\\/]node_modules[\\/](?:.+[\\/])?undici[\\/]/,
  cdktf: /[\\/]node_modules[\\/](?:cdktf|@cdktf[\\/][^\\/]+)[\\/]/,
  emulator: /[\\/]src[\\/]emulator[\\/]/,
  "permission catalogue": /[\\/]src[\\/]desired[\\/]catalogue\.json$/,
};

/** The names of {@link HEAVY} some module of `modules` matches. */
export function heavyIn(modules: readonly string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, pattern]) => modules.some((module) => pattern.test(module)))
    .map(([name]) => name);
}

/**
 * Runs `spawn` with NODE_OPTIONS preloading the recorder (to be merged into the environment it
 * gives its child process) and returns what it returned and the module files the process loaded.
 */
export async function recordingModules<T>(
  spawn: (env: Record<string, string>) => T | Promise<T>,
): Promise<{ result: T; modules: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-modules-"));
  try {
    const file = path.join(dir, "modules.txt");
    const result = await spawn({ NODE_OPTIONS: `--require ${JSON.stringify(RECORDER)}`, RECORD_MODULES: file });
    return {
      result,
      modules: readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line !== ""),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
