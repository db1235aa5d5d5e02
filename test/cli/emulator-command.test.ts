/**
 * `cipp-cpv emulator` from the built package, as a user starts it: it prints its base URL, answers
 * curl, serves the built CLI, and with --state keeps the tenants' state across restarts.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { DEMO, DEMO_CREDENTIALS } from "../../src/emulator";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "lib/src/cli.js");
const STACKS = path.join(ROOT, "stacks");
const hasCurl = spawnSync("curl", ["--version"]).status === 0;

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  readonly baseUrl: string;
  output(): string;
}

/** Starts the built CLI's emulator; resolves once it has printed its URL and its banner. */
function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
  let output = "";
  let baseUrl: string | undefined;
  return new Promise((resolve, reject) => {
    const ready = (): void => {
      if (baseUrl !== undefined && output.includes("Stop with Ctrl+C")) resolve({ child, baseUrl, output: () => output });
    };
    createInterface({ input: child.stdout }).once("line", (line) => {
      baseUrl = line.trim();
      ready();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      ready();
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${output}`)));
  });
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once("exit", (code) => resolve(code));
    started.child.kill("SIGTERM");
  });
}

function runCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function sandboxEnv(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does) before these tests.`);
});

it("prints its base URL, keeps credentials out of the terminal, and saves its world on exit", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-emulator-"));
  const state = path.join(dir, "world.json");
  const first = await startCli(["emulator", "--dir", dir, "--state", state]);
  expect(first.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

  const envFile = path.join(dir, "sandbox.env");
  expect(statSync(envFile).mode & 0o777).toBe(0o600);
  const env = sandboxEnv(envFile);
  expect(env["CIPP_CPV_SANDBOX_URL"]).toBe(first.baseUrl);
  // The hint must be a line a user can paste in a clone, where only npx finds the command.
  expect(first.output()).toContain(`set -a; . ${envFile}; set +a; npx cipp-cpv plan`);

  // The built CLI, configured only through the environment file the emulator wrote.
  const refresh = runCli(["refresh", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--quiet"], env);
  expect(refresh.stderr).toBe("");
  expect(refresh.status).toBe(0);
  expect(refresh.stdout).toContain("+ Microsoft Graph: app role AuditLog.Read.All");

  expect(await stop(first)).toBe(0);
  for (const text of [first.baseUrl, first.output(), refresh.stdout, refresh.stderr]) {
    expect(text).not.toContain(DEMO_CREDENTIALS.clientSecret);
    expect(text).not.toContain(DEMO_CREDENTIALS.refreshToken);
  }
  expect(existsSync(state)).toBe(true);

  // A restart from the saved world remembers the refresh: nothing left to do for that tenant.
  const second = await startCli(["emulator", "--dir", dir, "--state", state]);
  try {
    expect(second.output()).toContain(`world loaded from ${state}`);
    const plan = runCli(["plan", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--quiet"], sandboxEnv(envFile));
    expect(plan.stdout).toMatch(/Northwind Traders .*: converged/);
    expect(plan.status).toBe(0);
  } finally {
    await stop(second);
  }
});

(hasCurl ? it : it.skip)("answers curl with the CA certificate it wrote", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-emulator-"));
  const started = await startCli(["emulator", "--dir", dir]);
  try {
    const ca = path.join(dir, "sandbox-ca.pem");
    const config = spawnSync(
      "curl",
      ["-sS", "--cacert", ca, `${started.baseUrl}/${DEMO.partner.tenantId}/v2.0/.well-known/openid-configuration`],
      { encoding: "utf8" },
    );
    expect(config.status).toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({ token_endpoint: `${started.baseUrl}/${DEMO.partner.tenantId}/oauth2/v2.0/token` });

    const graph = spawnSync("curl", ["-sS", "--cacert", ca, `${started.baseUrl}/v1.0/servicePrincipals`], { encoding: "utf8" });
    expect(JSON.parse(graph.stdout)).toMatchObject({ error: { code: "InvalidAuthenticationToken" } });
  } finally {
    await stop(started);
  }
});
