#!/usr/bin/env node
/**
 * Peak memory and time per tenant of `cipp-cpv plan` over a converged fleet, the CLI as its own
 * process against the sandbox emulator in another. Run `npm run build` first.
 *
 *   node scripts/fleet-memory.mjs [--tenants 1000,10000] [--mode plan] [--keep] [-- extra CLI args]
 *
 * Prints, per fleet size, the CLI's peak resident set (from the operating system: /usr/bin/time's
 * "Maximum resident set size", else the child's own resourceUsage) and its wall time, then the ratios.
 * Extra CLI arguments after `--` go to every run, e.g. `-- --json plan.json --markdown plan.md`
 * (relative paths land in the run's temporary folder); NODE_OPTIONS passes through (--heap-prof).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const root = resolve(import.meta.dirname, "..");
const lib = join(root, "lib", "src");
const { startEmulatorChild } = await import(join(lib, "bench", "emulator-child.js"));
const { fleetTenants, writeFleetStacks } = await import(join(lib, "bench", "fleet-fixture.js"));
const { DEMO_CREDENTIALS } = await import(join(lib, "emulator", "index.js"));

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const own = dash === -1 ? argv : argv.slice(0, dash);
const extra = dash === -1 ? [] : argv.slice(dash + 1);
const flag = (name, fallback) => {
  const i = own.indexOf(name);
  return i === -1 ? fallback : own[i + 1];
};
const sizes = String(flag("--tenants", "1000,10000")).split(",").map(Number);
const mode = flag("--mode", "plan");
const keep = own.includes("--keep");

const rows = [];
for (const tenants of sizes) {
  const child = await startEmulatorChild({ kind: "converged", tenants, clockSpeed: 1, throttle: false });
  const dir = mkdtempSync(join(tmpdir(), "cipp-cpv-memory-"));
  try {
    const stacks = join(dir, "stacks");
    mkdirSync(stacks);
    writeFleetStacks(stacks, fleetTenants(tenants));
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, child.caCertificatePem);
    const env = {
      ...process.env,
      CIPP_CPV_SANDBOX_URL: child.baseUrl,
      CIPP_CPV_CA_FILE: ca,
      CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
      CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
    };
    const cli = [join(lib, "cli.js"), mode, "--stacks", stacks, "--allow-outside-repository", "--quiet", "--no-color", ...extra];
    const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
    const command = timeBin ? [timeBin, ["-v", process.execPath, ...cli]] : [process.execPath, cli];
    const started = performance.now();
    const run = await new Promise((done, fail) => {
      const proc = spawn(command[0], command[1], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let stdoutBytes = 0;
      let stderr = "";
      proc.stdout.on("data", (chunk) => (stdoutBytes += chunk.length));
      proc.stderr.on("data", (chunk) => (stderr += chunk.toString("utf8")));
      proc.on("error", fail);
      proc.on("exit", (code) => done({ code, stdoutBytes, stderr }));
    });
    const wallMs = performance.now() - started;
    const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
    if (run.code !== 0 && run.code !== 2) throw new Error(`cipp-cpv ${mode} exited ${run.code}: ${run.stderr.slice(-2000)}`);
    const counted = await child.requests();
    rows.push({
      tenants,
      exitCode: run.code,
      peakRssMb: peak ? Number(peak[1]) / 1024 : NaN,
      wallMs,
      perTenantMs: wallMs / tenants,
      requests: counted.total,
      stdoutBytes: run.stdoutBytes,
    });
    console.log(
      `${tenants} tenants: exit ${run.code}, peak RSS ${(peak ? Number(peak[1]) / 1024 : NaN).toFixed(0)} MB, ${(wallMs / 1000).toFixed(1)} s, ` +
        `${(wallMs / tenants).toFixed(2)} ms per tenant, ${counted.total} requests, ${run.stdoutBytes} bytes on stdout` +
        (keep ? `, folder ${dir}` : ""),
    );
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
    await child.stop();
  }
}
if (rows.length >= 2) {
  const [small, large] = [rows[0], rows[rows.length - 1]];
  console.log(
    `peak RSS at ${large.tenants} / at ${small.tenants}: ${(large.peakRssMb / small.peakRssMb).toFixed(2)}; ` +
      `time per tenant at ${large.tenants} / at ${small.tenants}: ${(large.perTenantMs / small.perTenantMs).toFixed(2)}`,
  );
}
