/**
 * A command loads what it needs and nothing else: `--help`, `validate` and a refused reset start
 * without the Microsoft clients (msal-node, undici), cdktf, the emulator or, until a permission is
 * looked up, the permission catalogue. Asserted by the modules the built CLI loads as its own
 * process, never by its time (README, "Start-up").
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { HEAVY, heavyIn, recordingModules } from "../helpers/loaded-modules";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "cipp-cpv.js");

function cli(args: readonly string[], cwd = ROOT) {
  return recordingModules((recorder) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env["PATH"] ?? "", ...recorder }, encoding: "utf8" }),
  );
}

test("the recorder sees each heavy module where a command does load it", async () => {
  // The modules plan, demo and synth load: each pattern must match something real, or the checks below could not fail.
  const { modules } = await recordingModules((recorder) =>
    spawnSync(
      process.execPath,
      ["-e", 'for (const m of ["cli/run-command", "cli/demo", "construct/fleet-app", "desired/catalogue.json"]) require(`./lib/src/${m}`)'],
      { cwd: ROOT, env: { PATH: process.env["PATH"] ?? "", ...recorder }, encoding: "utf8" },
    ),
  );
  expect(heavyIn(modules)).toEqual(Object.keys(HEAVY));
});

test("--help loads none of them", async () => {
  const { result, modules } = await cli(["--help"]);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("Usage: cipp-cpv");
  expect(modules.some((module) => module.includes(`${path.sep}commander${path.sep}`))).toBe(true);
  expect(heavyIn(modules)).toEqual([]);
});

test("a command's --help loads none of them", async () => {
  const { result, modules } = await cli(["refresh", "--help"]);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("Usage: cipp-cpv refresh");
  expect(heavyIn(modules)).toEqual([]);
});

test("validate on the demo stacks loads no client, cdktf or emulator", async () => {
  const { result, modules } = await cli(["validate", "--stacks", "stacks"]);
  expect(result.stderr).toBe("");
  expect(result.stdout).toContain("stacks: valid.");
  expect(result.status).toBe(0);
  // The demo's profiles name permissions, so the catalogue is read to check them.
  expect(heavyIn(modules)).toEqual(["permission catalogue"]);
});

describe("a stacks folder naming no permission", () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(path.join(tmpdir(), "cipp-cpv-fast-start-"));
    mkdirSync(path.join(repo, ".git"));
    mkdirSync(path.join(repo, "stacks", "tenants"), { recursive: true });
    const settings = readFileSync(path.join(ROOT, "stacks", "cipp-cpv.yaml"), "utf8");
    writeFileSync(path.join(repo, "stacks", "cipp-cpv.yaml"), settings);
    writeFileSync(
      path.join(repo, "stacks", "tenants", "adatum.yaml"),
      "tenantId: 4b8e5f0a-1d2c-4e6f-94a5-6b7c8d9e0f04\ndefaultDomain: adatum.onmicrosoft.com\ndisplayName: Adatum\n",
    );
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  test("validate does not read the permission catalogue either", async () => {
    const { result, modules } = await cli(["validate", "--stacks", "stacks"], repo);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("stacks: valid. 1 tenant declared");
    expect(modules.some((module) => module.endsWith(path.join("node_modules", "yaml", "dist", "index.js")))).toBe(true);
    expect(heavyIn(modules)).toEqual([]);
  });
});

test("a reset refused for its confirmation is refused before any of them loads", async () => {
  const { result, modules } = await cli(["reset", "--tenant", "adatum.onmicrosoft.com"]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("Reset refused: confirm must repeat the tenant exactly");
  expect(heavyIn(modules)).toEqual([]);
});
