/**
 * The CLI as a user runs it: `main()` over the real engine and the emulator for plan, refresh,
 * reset and validate; the built `lib/src/cli.js` in a child process for the emulator command.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../src/cli/program";
import { createOutput, type Output } from "../../src/cli/output";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";

const STACKS = path.resolve(__dirname, "../../stacks");

interface Captured {
  readonly output: Output;
  stdout(): string;
  stderr(): string;
}

function capture(): Captured {
  let out = "";
  let err = "";
  const output = createOutput({ stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { output, stdout: () => out, stderr: () => err };
}

let emulator: RunningEmulator;
let caFile: string;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator();
  work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-cli-"));
  caFile = path.join(work, "ca.pem");
  writeFileSync(caFile, emulator.caCertificatePem);
});
afterAll(async () => {
  await emulator.stop();
});

function sandboxEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
    CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
    CIPP_CPV_SANDBOX_URL: emulator.baseUrl,
    CIPP_CPV_CA_FILE: caFile,
    ...extra,
  };
}

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(DEMO_CREDENTIALS.clientSecret);
  expect(text).not.toContain(DEMO_CREDENTIALS.refreshToken);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.eyJ/);
}

describe("validate", () => {
  it("accepts the repository's stacks and sends nothing", async () => {
    const io = capture();
    const before = emulator.requests().total;
    expect(await main(["validate", "--stacks", STACKS], {}, io.output)).toBe(0);
    expect(io.stdout()).toMatch(/valid\. 6 tenants declared, 6 managed; cloud sandbox/);
    expect(emulator.requests().total).toBe(before);
  });

  it("counts a single tenant in the singular", async () => {
    const stacks = path.join(work, "one-tenant-stacks");
    cpSync(STACKS, stacks, { recursive: true });
    for (const file of ["adatum", "contosomsp", "northwind", "tailspintoys", "wingtiptoys"])
      rmSync(path.join(stacks, "tenants", `${file}.yaml`));
    const io = capture();
    expect(await main(["validate", "--stacks", stacks], {}, io.output)).toBe(0);
    expect(io.stdout()).toContain("valid. 1 tenant declared, 1 managed;");
  });

  it("names the file, line and field of a bad declaration and exits 1", async () => {
    const stacks = path.join(work, "bad-stacks");
    cpSync(STACKS, stacks, { recursive: true });
    const file = path.join(stacks, "tenants", "fabrikam.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^tenantId: .*$/m, "tenantId: 1234"));
    const io = capture();
    expect(await main(["validate", "--stacks", stacks], {}, io.output)).toBe(1);
    expect(io.stderr()).toMatch(/tenants\/fabrikam\.yaml:\d+: tenantId/);
  });
});

describe("plan", () => {
  it("exits 2 when changes are pending and writes JSON and Markdown reports", async () => {
    const io = capture();
    const json = path.join(work, "plan.json");
    const markdown = path.join(work, "plan.md");
    const code = await main(
      ["plan", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--json", json, "--markdown", markdown, "--no-color"],
      sandboxEnv(),
      io.output,
    );
    expect(code).toBe(2);
    expect(io.stdout()).toContain("+ Microsoft Graph: app role AuditLog.Read.All");
    expect(io.stdout()).toMatch(/~ Microsoft Graph: delegated grant.*add Policy\.Read\.All/);
    const document = JSON.parse(readFileSync(json, "utf8")) as { schemaVersion: number; tenants: { status: string }[] };
    expect(document.schemaVersion).toBe(1);
    expect(document.tenants.map((t) => t.status)).toEqual(["changes"]);
    expect(readFileSync(markdown, "utf8")).toContain("Northwind Traders");
    expectNoSecrets(io.stdout() + io.stderr());
  });

  it("exits 0 for a converged tenant", async () => {
    const io = capture();
    expect(await main(["plan", "--stacks", STACKS, "--tenant", DEMO.healthy.tenantId, "--quiet"], sandboxEnv(), io.output)).toBe(0);
    expect(io.stdout()).toMatch(/Fabrikam .*: converged/);
  });

  it("exits 1 and names the GDAP cause for a tenant it cannot reach", async () => {
    const io = capture();
    expect(await main(["plan", "--stacks", STACKS, "--tenant", DEMO.noGdap.defaultDomain, "--quiet"], sandboxEnv(), io.output)).toBe(1);
    expect(io.stdout()).toContain("no active GDAP relationship");
  });

  it("refuses to run without credentials, naming the variables, and sends nothing", async () => {
    const io = capture();
    const before = emulator.requests().total;
    const env = sandboxEnv();
    delete env["CIPP_CPV_REFRESH_TOKEN"];
    expect(await main(["plan", "--stacks", STACKS], env, io.output)).toBe(1);
    expect(io.stderr()).toContain("CIPP_CPV_REFRESH_TOKEN");
    expect(emulator.requests().total).toBe(before);
  });

  it("refuses a sandbox declaration without the sandbox's address, saying where the address comes from", async () => {
    const io = capture();
    const before = emulator.requests().total;
    const env = sandboxEnv();
    delete env["CIPP_CPV_SANDBOX_URL"];
    expect(await main(["plan", "--stacks", STACKS], env, io.output)).toBe(1);
    expect(io.stderr()).toContain(`${path.join(STACKS, "cipp-cpv.yaml")} sets cloud: sandbox`);
    expect(io.stderr()).toContain("npx cipp-cpv emulator");
    expect(io.stderr()).toContain(".cipp-cpv/sandbox.env");
    expect(emulator.requests().total).toBe(before);
  });

  it.each([
    [
      "the environment",
      ["--tenant", DEMO.healthy.defaultDomain],
      { CIPP_CPV_SANDBOX_URL: "127.0.0.1:8443" },
      /^Error: CIPP_CPV_SANDBOX_URL: "127\.0\.0\.1:8443" is not an https URL/,
    ],
    [
      "--sandbox-url",
      ["--tenant", DEMO.healthy.defaultDomain, "--sandbox-url", "http://127.0.0.1:8443"],
      {},
      /^Error: --sandbox-url: "http:\/\/127\.0\.0\.1:8443" is not an https URL/,
    ],
  ])("refuses a sandbox address from %s that is not an https URL, sending nothing", async (_origin, args, extra, message) => {
    const io = capture();
    const before = emulator.requests().total;
    expect(await main(["plan", "--stacks", STACKS, ...args], sandboxEnv(extra), io.output)).toBe(1);
    expect(io.stderr()).toMatch(message);
    expect(io.stdout()).toBe("");
    expect(emulator.requests().total).toBe(before);
  });
});

describe("refresh and reset", () => {
  it("refreshes a drifted tenant, then plans it as converged; the rotated refresh token goes only to its file", async () => {
    const io = capture();
    const tokenFile = path.join(work, "rotated-token");
    const refresh = await main(
      ["refresh", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--refresh-token-out", tokenFile],
      sandboxEnv(),
      io.output,
    );
    expect(refresh).toBe(0);
    expect(io.stdout()).toContain("+ Microsoft Graph: app role AuditLog.Read.All");
    expect(io.stdout()).toContain("Verified");
    const rotated = readFileSync(tokenFile, "utf8");
    expect(rotated.length).toBeGreaterThan(10);
    expect(rotated).not.toBe(DEMO_CREDENTIALS.refreshToken);
    expect(io.stdout() + io.stderr()).not.toContain(rotated);
    expectNoSecrets(io.stdout() + io.stderr());

    const again = capture();
    expect(await main(["plan", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, "--quiet"], sandboxEnv(), again.output)).toBe(0);
  });

  it("refuses a reset whose confirmation does not repeat the tenant, sending nothing", async () => {
    const io = capture();
    const before = emulator.requests().total;
    const code = await main(
      ["reset", "--stacks", STACKS, "--tenant", DEMO.healthy.defaultDomain, "--confirm", DEMO.drifted.defaultDomain],
      sandboxEnv(),
      io.output,
    );
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(/Reset refused/);
    expect(emulator.requests().total).toBe(before);
  });
});

describe("refusals before anything is sent", () => {
  it("refuses a reset without --confirm before looking for credentials: none set, still the confirmation error", async () => {
    const io = capture();
    const before = emulator.requests().total;
    const code = await main(["reset", "--stacks", STACKS, "--tenant", DEMO.healthy.defaultDomain], {}, io.output);
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(/^Error: Reset refused: confirm must repeat the tenant exactly/);
    expect(io.stderr()).not.toMatch(/CIPP_CPV_CLIENT_SECRET|refresh token is missing/);
    expect(emulator.requests().total).toBe(before);
  });

  it("refuses an empty tenants folder, naming it, unless --allow-empty", async () => {
    const stacks = path.join(work, "no-tenants");
    mkdirSync(path.join(stacks, "tenants"), { recursive: true });
    writeFileSync(path.join(stacks, "cipp-cpv.yaml"), readFileSync(path.join(STACKS, "cipp-cpv.yaml")));
    const io = capture();
    expect(await main(["plan", "--stacks", stacks, "--quiet"], sandboxEnv(), io.output)).toBe(1);
    expect(io.stderr()).toContain(`Error: ${path.join(stacks, "tenants")} holds no tenant declarations`);
    expect(io.stderr()).toContain("--allow-empty");
    const allowed = capture();
    expect(await main(["plan", "--stacks", stacks, "--quiet", "--allow-empty"], sandboxEnv(), allowed.output)).toBe(0);
    // A missing folder is the same refusal.
    rmSync(path.join(stacks, "tenants"), { recursive: true });
    const missing = capture();
    expect(await main(["refresh", "--stacks", stacks, "--quiet"], sandboxEnv(), missing.output)).toBe(1);
    expect(missing.stderr()).toContain(`${path.join(stacks, "tenants")} holds no tenant declarations`);
  });

  it("a bad client secret ends the run with one error after the first tenant", async () => {
    const io = capture();
    const before = emulator.requests().byService["login"] ?? 0;
    const code = await main(["plan", "--stacks", STACKS, "--quiet"], sandboxEnv({ CIPP_CPV_CLIENT_SECRET: "not-the-secret" }), io.output);
    expect(code).toBe(1);
    expect((emulator.requests().byService["login"] ?? 0) - before).toBe(1);
    const errors = io
      .stderr()
      .split("\n")
      .filter((line) => line.startsWith("Error:"));
    expect(errors).toEqual([
      expect.stringMatching(
        /^Error: Stopped after .*AADSTS7000215.*5 other tenants were not attempted\. To fix: Check CIPP-SAM's client secret/,
      ),
    ]);
  });
});

describe("output", () => {
  it("masks registered secrets even inside report files", () => {
    const io = capture();
    io.output.redactor.register(DEMO_CREDENTIALS.clientSecret);
    const file = path.join(work, "leak.txt");
    io.output.file(file, `client_secret=${encodeURIComponent(DEMO_CREDENTIALS.clientSecret)}`);
    io.output.out(`the secret is ${DEMO_CREDENTIALS.clientSecret}`);
    expect(readFileSync(file, "utf8")).not.toContain(encodeURIComponent(DEMO_CREDENTIALS.clientSecret));
    expect(io.stdout()).toBe("the secret is ***\n");
  });
});

describe("usage errors", () => {
  it("rejects a bad --concurrency with exit 1", async () => {
    const io = capture();
    expect(await main(["plan", "--concurrency", "0"], sandboxEnv(), io.output)).toBe(1);
    expect(io.stderr()).toContain("expected a whole number of at least 1");
  });

  it("exits 0 for --help", async () => {
    const io = capture();
    expect(await main(["--help"], {}, io.output)).toBe(0);
    expect(io.stdout()).toContain("refresh");
  });

  it("names the credential variables in the help of every command that signs in", async () => {
    for (const command of [[], ["plan"], ["refresh"], ["reset"]]) {
      const io = capture();
      expect(await main([...command, "--help"], {}, io.output)).toBe(0);
      for (const variable of [
        "CIPP_CPV_CLIENT_SECRET",
        "CIPP_CPV_CERTIFICATE_FILE",
        "CIPP_CPV_CERTIFICATE_KEY_FILE",
        "CIPP_CPV_REFRESH_TOKEN",
      ]) {
        expect(io.stdout()).toContain(variable);
      }
    }
  });

  it("offers reset only the options that change a reset", async () => {
    const io = capture();
    expect(await main(["reset", "--help"], {}, io.output)).toBe(0);
    expect(io.stdout()).toMatch(/--confirm <id-or-domain> +the same tenant again/);
    expect(io.stdout()).not.toContain("--concurrency");
    expect(io.stdout()).not.toContain("--force-consent");
    const refused = capture();
    expect(await main(["reset", "--tenant", DEMO.healthy.defaultDomain, "--concurrency", "2"], sandboxEnv(), refused.output)).toBe(1);
    expect(refused.stderr()).toContain("unknown option '--concurrency'");
  });
});

describe("report files", () => {
  it.each([
    [
      "--json",
      (blocker: string) => path.join(blocker, "plan.json"),
      /^Error: --json: cannot write .*plan\.json: .*is not a folder; nothing was sent\./,
    ],
    [
      "--markdown",
      (blocker: string) => blocker.replace(/blocker$/, ""),
      /^Error: --markdown: cannot write .*: it is a folder; nothing was sent\./,
    ],
    [
      "--refresh-token-out",
      (blocker: string) => path.join(blocker, "deeper", "token"),
      /^Error: --refresh-token-out: cannot write .*token: .*is not a folder/,
    ],
  ])("refuses a %s path that cannot be written before refreshing anything", async (flag, target, message) => {
    const blocker = path.join(work, `blocker-${flag.replace(/-/g, "")}`, "blocker");
    mkdirSync(path.dirname(blocker), { recursive: true });
    writeFileSync(blocker, "a file where a folder is needed");
    const io = capture();
    const before = emulator.requests().total;
    const code = await main(
      ["refresh", "--stacks", STACKS, "--tenant", DEMO.drifted.defaultDomain, flag, target(blocker)],
      sandboxEnv(),
      io.output,
    );
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(message);
    expect(io.stdout()).toBe("");
    expect(emulator.requests().total).toBe(before);
  });

  it("creates the folders of a report path that does not exist yet", async () => {
    const io = capture();
    const json = path.join(work, "reports", "nested", "plan.json");
    expect(
      await main(["plan", "--stacks", STACKS, "--tenant", DEMO.healthy.defaultDomain, "--quiet", "--json", json], sandboxEnv(), io.output),
    ).toBe(0);
    expect(JSON.parse(readFileSync(json, "utf8"))).toMatchObject({ kind: "plan" });
  });
});

it("writes nothing into a fresh folder when the declarations are invalid", async () => {
  const stacks = path.join(work, "empty-stacks");
  mkdirSync(stacks, { recursive: true });
  const io = capture();
  const json = path.join(work, "never.json");
  expect(await main(["plan", "--stacks", stacks, "--json", json], sandboxEnv(), io.output)).toBe(1);
  expect(io.stderr()).toContain("cipp-cpv.yaml");
  expect(existsSync(json)).toBe(false);
});
