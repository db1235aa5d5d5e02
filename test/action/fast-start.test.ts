/**
 * The Action checks its inputs before it loads the run: dist/index.js masks secrets and checks
 * every input, and loads dist/run.js (the engine, msal-node, undici, the permission catalogue)
 * only for valid inputs. Asserted by module, never by time (README, "Start-up"): the modules
 * each bundle file holds, as esbuild reports them for a fresh bundle (which bundle.test.ts proves
 * equal to the committed dist/), and the bundle files the Action loaded on Node 24.
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { heavyIn, recordingModules } from "../helpers/loaded-modules";
import { BUNDLE, NODE_LABEL, ROOT, runAction } from "./runner";

const RUN_BUNDLE = path.join(ROOT, "dist", "run.js");

/** The modules each bundle file holds, by the file's absolute path; each module by its absolute path. */
let bundled: Map<string, string[]>;

beforeAll(() => {
  const inputs = spawnSync(process.execPath, [path.join(ROOT, "scripts", "bundle.mjs"), "--inputs"], { cwd: ROOT, encoding: "utf8" });
  expect(inputs.stderr).toBe("");
  const files = JSON.parse(inputs.stdout) as Record<string, string[]>;
  bundled = new Map(
    Object.entries(files).map(([file, modules]) => [path.join(ROOT, file), modules.map((module) => path.join(ROOT, module))]),
  );
});

/** The modules a process loaded, each bundle file it loaded standing for the modules it holds. */
function loadedModules(files: readonly string[]): string[] {
  return files.flatMap((file) => bundled.get(file) ?? [file]);
}

test("the entry holds none of the run's heavy modules; the run holds them", () => {
  expect([...bundled.keys()].sort()).toEqual([BUNDLE, RUN_BUNDLE].sort());
  expect(heavyIn(bundled.get(BUNDLE) ?? [])).toEqual([]);
  expect(heavyIn(bundled.get(RUN_BUNDLE) ?? [])).toEqual(expect.arrayContaining(["@azure/msal-node", "undici", "permission catalogue"]));
});

describe(`a bad input on ${NODE_LABEL}`, () => {
  test.each([
    ["mode", { mode: "bogus" }, "Input 'mode': 'bogus' is not one of plan, refresh, reset."],
    [
      "gdap-changed-since",
      { mode: "refresh", "gdap-changed-since": "yesterday" },
      "Input 'gdap-changed-since': 'yesterday' is not an ISO 8601",
    ],
    ["concurrency", { concurrency: "1000" }, "Input 'concurrency': '1000' is not a whole number"],
  ])("%s is refused before the run is loaded", async (_name, bad, message) => {
    const { result: run, modules } = await recordingModules((recorder) =>
      runAction({ "client-secret": "not-a-real-secret", "refresh-token": "not-a-real-token", ...bad }, recorder),
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs["exit-code"]).toBe("1");
    expect(run.commands.filter((c) => c.command === "error").map((c) => c.message)).toEqual([expect.stringContaining(message)]);
    expect(modules).toContain(BUNDLE);
    expect(modules).not.toContain(RUN_BUNDLE);
    expect(heavyIn(loadedModules(modules))).toEqual([]);
  });
});

test("valid inputs load the run, and with it the clients", async () => {
  // The repository's stacks say cloud: sandbox; without sandbox-url the run refuses before any request.
  const { result: run, modules } = await recordingModules((recorder) =>
    runAction({ "client-secret": "not-a-real-secret", "refresh-token": "not-a-real-token" }, recorder),
  );
  expect(run.exitCode).toBe(1);
  expect(run.commands.filter((c) => c.command === "error").map((c) => c.message)).toEqual([
    expect.stringMatching(/^cipp-cpv could not run: .*sandbox/i),
  ]);
  expect(modules).toEqual(expect.arrayContaining([BUNDLE, RUN_BUNDLE]));
  expect(heavyIn(loadedModules(modules))).toEqual(expect.arrayContaining(["@azure/msal-node", "undici"]));
});

test("an entry without its run fails the step, naming what is missing", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "cipp-cpv-entry-alone-"));
  try {
    const entry = path.join(dir, "index.js");
    await copyFile(BUNDLE, entry);
    const run = await runAction({ "client-secret": "not-a-real-secret", "refresh-token": "not-a-real-token" }, {}, entry);
    expect(run.exitCode).toBe(1);
    expect(run.outputs["exit-code"]).toBe("1");
    expect(run.commands.filter((c) => c.command === "error").map((c) => c.message)).toEqual([
      expect.stringMatching(/^cipp-cpv could not run: .*run\.js/),
    ]);
    expect(run.everythingVisible).not.toContain("not-a-real-secret");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
