/** `--changed-files`: the CLI plans only the tenants a change touches, over the real engine and the emulator. */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createOutput } from "../../src/cli/output";
import { main } from "../../src/cli/program";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";

const STACKS = path.resolve(__dirname, "../../stacks");

let emulator: RunningEmulator;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = await startEmulator();
  work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-cli-changes-"));
  const caFile = path.join(work, "ca.pem");
  writeFileSync(caFile, emulator.caCertificatePem);
  env = {
    CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
    CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
    CIPP_CPV_SANDBOX_URL: emulator.baseUrl,
    CIPP_CPV_CA_FILE: caFile,
  };
});
afterAll(async () => {
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
});

let runs = 0;

/** Runs `plan` over the repository's stacks with a list of changed paths; returns the exit code, the planned tenants and the text. */
async function planChanges(paths: readonly string[], stacks = STACKS): Promise<{ code: number; domains: string[]; stdout: string }> {
  runs += 1;
  const list = path.join(work, `changed-${runs}`);
  const json = path.join(work, `plan-${runs}.json`);
  writeFileSync(list, paths.map((file) => `${file}\n`).join(""));
  let stdout = "";
  const output = createOutput({ stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => undefined } });
  const code = await main(["plan", "--stacks", stacks, "--changed-files", list, "--json", json, "--quiet", "--no-color"], env, output);
  const plan = JSON.parse(readFileSync(json, "utf8")) as { tenants: { tenant: { defaultDomain: string } }[] };
  return { code, domains: plan.tenants.map((t) => t.tenant.defaultDomain), stdout };
}

test("a changed tenant file plans that tenant alone: the unreachable tenant is not read and does not fail the plan", async () => {
  const before = emulator.requests().total;
  const run = await planChanges([path.join(STACKS, "tenants", "northwind.yaml")]);
  expect(run.code).toBe(2);
  expect(run.domains).toEqual([DEMO.drifted.defaultDomain]);
  expect(run.stdout).toMatch(/^Only the tenants this change touches are planned \(1 changed file\): 1 tenant\./);
  const sent = emulator.requests().log.slice(before);
  expect(sent.some((entry) => entry.tenantId === DEMO.drifted.tenantId)).toBe(true);
  expect(
    sent.filter((entry) => entry.tenantId !== null && entry.tenantId !== DEMO.drifted.tenantId && entry.tenantId !== DEMO.partner.tenantId),
  ).toEqual([]);
});

test("a list of one path holding a space names that one file, as the list is one path a line", async () => {
  const stacks = path.join(work, "stacks-with-space");
  cpSync(STACKS, stacks, { recursive: true });
  const renamed = path.join(stacks, "tenants", "north wind.yaml");
  renameSync(path.join(stacks, "tenants", "northwind.yaml"), renamed);
  const run = await planChanges([renamed], stacks);
  expect(run.domains).toEqual([DEMO.drifted.defaultDomain]);
  expect(run.stdout).toMatch(/\(1 changed file\): 1 tenant\./);
});

test("a change that touches no tenant is an empty plan with exit code 0, and nothing is sent", async () => {
  const before = emulator.requests().total;
  const run = await planChanges([path.join(STACKS, "main.ts"), path.join(STACKS, "..", "README.md")]);
  expect(run.code).toBe(0);
  expect(run.domains).toEqual([]);
  expect(run.stdout).toContain("No declared tenant is affected by this change (2 changed files); nothing to plan.");
  expect(emulator.requests().total).toBe(before);
});

test("a changed settings file plans every managed tenant", async () => {
  const run = await planChanges([path.join(STACKS, "cipp-cpv.yaml")]);
  expect(run.code).toBe(1);
  expect([...run.domains].sort()).toEqual(
    [DEMO.partner, DEMO.healthy, DEMO.drifted, DEMO.fresh, DEMO.unlicensed, DEMO.noGdap].map((t) => t.defaultDomain).sort(),
  );
});

test("--changed-files with --tenant is refused before anything is sent", async () => {
  let stderr = "";
  const output = createOutput({ stdout: { write: () => undefined }, stderr: { write: (s: string) => (stderr += s) } });
  const before = emulator.requests().total;
  const code = await main(["plan", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--changed-files", "-"], env, output);
  expect(code).toBe(1);
  expect(stderr).toMatch(/--changed-files.*cannot be used with option '--tenant/);
  expect(emulator.requests().total).toBe(before);
});

test("an unreadable list names the flag and the file", async () => {
  let stderr = "";
  const output = createOutput({ stdout: { write: () => undefined }, stderr: { write: (s: string) => (stderr += s) } });
  const missing = path.join(work, "no-such-list");
  expect(await main(["plan", "--stacks", STACKS, "--changed-files", missing], env, output)).toBe(1);
  expect(stderr).toContain(`--changed-files: cannot read ${missing} (ENOENT).`);
});
