/**
 * Secrets that could leak through the command line's own plumbing: credentials in the sandbox URL's
 * userinfo, and the rotated refresh token written onto a file that already exists with a wider mode.
 */
import { readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { main } from "../../src/cli/program";
import { DEMO } from "../../src/emulator";
import { capture, startSandbox, STACKS, type Sandbox } from "./cli-harness";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.emulator.stop();
});

describe("a sandbox URL carrying credentials", () => {
  const password = "hunter2-s3cr3t-pw";
  it.each([
    [
      "--sandbox-url, valid",
      (base: string) => ({ args: ["--sandbox-url", base.replace("https://", `https://admin:${password}@`)], env: {} }),
    ],
    [
      "--sandbox-url, not https",
      (base: string) => ({ args: ["--sandbox-url", base.replace("https://", `http://admin:${password}@`)], env: {} }),
    ],
    ["--sandbox-url, unparsable", () => ({ args: ["--sandbox-url", `https://admin:${password}@127.0.0.1:99999999`], env: {} })],
    [
      "the environment",
      (base: string) => ({ args: [], env: { CIPP_CPV_SANDBOX_URL: base.replace("https://", `https://admin:${password}@`) } }),
    ],
  ])("is refused from %s without echoing the password, sending nothing", async (_how, make) => {
    const { args, env } = make(sandbox.emulator.baseUrl);
    const io = capture();
    const before = sandbox.emulator.requests().total;
    const code = await main(["plan", "--stacks", STACKS, "--tenant", DEMO.healthy.defaultDomain, ...args], sandbox.env(env), io.output);
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(/(--sandbox-url|CIPP_CPV_SANDBOX_URL): "https?:\/\/\*\*\*@/);
    expect(io.stdout() + io.stderr()).not.toContain(password);
    expect(io.stdout() + io.stderr()).not.toContain("admin:");
    expect(sandbox.emulator.requests().total).toBe(before);
  });
});

describe("--refresh-token-out onto an existing file", () => {
  it("leaves the file readable by its owner only (mode 600) once the rotated token is in it", async () => {
    const tokenFile = path.join(sandbox.work, "existing-token-file");
    writeFileSync(tokenFile, "an older token\n");
    chmodSync(tokenFile, 0o644);
    const io = capture();
    const code = await main(
      ["refresh", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--quiet", "--refresh-token-out", tokenFile],
      sandbox.env(),
      io.output,
    );
    expect(code).toBe(0);
    const rotated = readFileSync(tokenFile, "utf8");
    expect(rotated).not.toContain("an older token");
    expect(rotated.length).toBeGreaterThan(10);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(io.stdout() + io.stderr()).not.toContain(rotated);
  });
});
