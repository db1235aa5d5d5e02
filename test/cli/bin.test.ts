/**
 * `npx cipp-cpv` works in a fresh clone after `npm ci`, after `npm run build` and after
 * `rm -rf lib && npm run build`: npm links a committed, executable shim, whatever mode the compiler
 * gives lib/src/cli.js, and npx's cached link to it stays valid across rebuilds.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

test("the bin is a committed shim with its execute bit, and npm ci builds lib/ through prepare", () => {
  expect(manifest.bin).toEqual({ "cipp-cpv": "bin/cipp-cpv.js" });
  expect(statSync(path.join(ROOT, "bin", "cipp-cpv.js")).mode & 0o111).toBe(0o111);
  // What a clone gets is the mode git records, not the mode of this checkout.
  const staged = execFileSync("git", ["ls-files", "--stage", "--", "bin/cipp-cpv.js"], { cwd: ROOT, encoding: "utf8" });
  expect(staged).toMatch(/^100755 /);
  expect(manifest.scripts["prepare"]).toBe("npm run build");
});

describe("npx cipp-cpv in a clone, with an npx cache of its own", () => {
  let clone: string;
  let cache: string;
  let env: NodeJS.ProcessEnv;
  const npx = (): { status: number | null; stdout: string; stderr: string } => {
    const run = spawnSync("npm", ["exec", "--yes", "--", "cipp-cpv", "validate", "--help"], { cwd: clone, env, encoding: "utf8" });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  // A build as tsc leaves it: lib/ copied from this checkout's build, cli.js without execute bits.
  const build = (): void => {
    cpSync(path.join(ROOT, "lib"), path.join(clone, "lib"), { recursive: true });
    chmodSync(path.join(clone, "lib", "src", "cli.js"), 0o644);
  };

  beforeAll(() => {
    clone = mkdtempSync(path.join(tmpdir(), "cipp-cpv-clone-"));
    for (const entry of ["package.json", "package-lock.json", "bin"]) {
      cpSync(path.join(ROOT, entry), path.join(clone, entry), { recursive: true, preserveTimestamps: true });
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"));
    // npx installs the project into its own cache (outside the project) and would run its prepare
    // script, the build this test stands in for by copying lib/.
    cache = mkdtempSync(path.join(tmpdir(), "cipp-cpv-npx-cache-"));
    env = { ...process.env, npm_config_cache: cache, npm_config_ignore_scripts: "true", npm_config_update_notifier: "false" };
  });
  afterAll(() => {
    rmSync(clone, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  test("after a build, after lib/ is removed (a clear error), and after the rebuild, with the same npx cache", () => {
    build();
    const built = npx();
    expect(built.stderr).not.toMatch(/not found|Permission denied/);
    expect(built.stdout).toContain("Usage: cipp-cpv validate");
    expect(built.status).toBe(0);

    rmSync(path.join(clone, "lib"), { recursive: true });
    const unbuilt = npx();
    expect(unbuilt.stderr).toContain("cipp-cpv is not built: run `npm run build`");
    expect(unbuilt.status).toBe(1);

    build();
    const rebuilt = npx();
    expect(rebuilt.stdout).toContain("Usage: cipp-cpv validate");
    expect(rebuilt.status).toBe(0);
  });
});
