/** The committed bundle is what src/ builds to: a runner executes dist/ as checked out. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./runner";

test("dist/index.js matches a fresh bundle of src/", () => {
  const check = spawnSync(process.execPath, [path.join(ROOT, "scripts", "bundle.mjs"), "--check"], { cwd: ROOT, encoding: "utf8" });
  expect(check.stderr).toBe("");
  expect(check.stdout).toContain("matches a fresh bundle");
  expect(check.status).toBe(0);
});
